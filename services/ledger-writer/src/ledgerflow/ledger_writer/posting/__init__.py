"""The posting core: intents, look-ups before a re-send, dependency order, number checks; any target."""
