"""A QuickBooks Online v3 simulator: the same paths, envelopes, rules and error codes, in memory."""
