"""Regular expressions a rule may use: short, free of the shapes that backtrack (a repeated group that holds a
quantifier or alternatives, backreferences), and run by RE2, whose matching takes time linear in the value
whatever the pattern: a pattern such as ``\\w*\\w*\\w*@staff`` that slips past the checks still cannot hold
the planner up."""

from __future__ import annotations

import re
from typing import Any, Protocol

import re2  # type: ignore[import-untyped]

from ledgerflow.planner.rules.model import MAX_PATTERN

# A pattern sees at most this much of a value, which bounds the work of any pattern that passes the checks.
MAX_SUBJECT = 1000

_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=")
_BRACES = re.compile(r"\{(\d*)(?:,(\d*))?\}")


class Pattern(Protocol):
    """A compiled pattern: ``search`` gives a match or None."""

    def search(self, text: str) -> Any: ...


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False  # a refused pattern is reported to whoever wrote it, not logged by RE2
    return options


_RE2_OPTIONS = _options()


def compiled(pattern: str) -> Pattern:
    """``pattern`` (checked by ``pattern_problem``) compiled for RE2's linear-time matching."""
    result: Pattern = re2.compile(pattern, options=_RE2_OPTIONS)
    return result


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` is refused, or None when it is safe to run."""
    if len(pattern) > MAX_PATTERN:
        return f"the pattern is {len(pattern)} characters long; at most {MAX_PATTERN} are allowed"
    if _BACKREFERENCE.search(pattern):
        return "backreferences (\\1, (?P=name)) are not allowed in patterns"
    try:
        re.compile(pattern)
    except (re.error, OverflowError, RecursionError) as exc:
        return f"not a valid regular expression: {exc}"
    if (nesting := _nesting_problem(pattern)) is not None:
        return nesting
    try:
        compiled(pattern)
    except re2.error as exc:
        reason = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else exc
        return f"not a pattern ledgerflow can run in linear time (lookarounds are not allowed): {reason}"
    return None


def _nesting_problem(pattern: str) -> str | None:
    # One entry per open group: [holds a quantifier, holds alternatives].
    groups: list[list[bool]] = [[False, False]]
    index, length = 0, len(pattern)
    while index < length:
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            index = _end_of_class(pattern, index)
            continue
        if char == "(":
            groups.append([False, False])
            index += 2 if pattern.startswith("?", index + 1) else 1
            continue
        if char == ")" and len(groups) > 1:
            quantified, alternatives = groups.pop()
            repeats, width = _quantifier(pattern, index + 1)
            if repeats and quantified:
                return "a repeated group may not itself hold a quantifier, e.g. (a+)+: it can take exponential time"
            if repeats and alternatives:
                return "a repeated group may not hold alternatives, e.g. (a|ab)*: it can take exponential time"
            groups[-1][0] = groups[-1][0] or quantified or width > 0
            index += 1 + width
            continue
        if char == "|":
            groups[-1][1] = True
        elif _quantifier(pattern, index)[1]:
            groups[-1][0] = True
        index += 1
    return None


def _quantifier(pattern: str, index: int) -> tuple[bool, int]:
    """(repeats more than once, characters it takes) for a quantifier starting at ``index``."""
    if index >= len(pattern):
        return False, 0
    char = pattern[index]
    if char in "*+":
        return True, 1 + _lazy(pattern, index + 1)
    if char == "?":
        return False, 1 + _lazy(pattern, index + 1)
    braces = _BRACES.match(pattern, index)
    if braces is None or braces.group(0) == "{}":
        return False, 0
    low, high = braces.group(1), braces.group(2)
    repeats = int(low or 0) > 1 if high is None else (high == "" or int(high) > 1)
    return repeats, len(braces.group(0)) + _lazy(pattern, braces.end())


def _lazy(pattern: str, index: int) -> int:
    return 1 if pattern.startswith("?", index) or pattern.startswith("+", index) else 0


def _end_of_class(pattern: str, index: int) -> int:
    """The index after the character class that opens at ``index`` (``[]a]`` and ``[^]a]`` hold a ``]``)."""
    index += 1
    if pattern.startswith("^", index):
        index += 1
    if pattern.startswith("]", index):
        index += 1
    while index < len(pattern) and pattern[index] != "]":
        index += 2 if pattern[index] == "\\" else 1
    return index + 1
