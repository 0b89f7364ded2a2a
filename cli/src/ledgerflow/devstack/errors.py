from __future__ import annotations


class StackError(RuntimeError):
    """The local stack cannot start: the message says what is missing or in the way."""
