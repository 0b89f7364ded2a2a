"""Settings and rules files read as YAML without what makes YAML dangerous to read: aliases, and size.

A 600-byte file of nested aliases (``a: &a [x, x]``, ``b: &b [*a, *a]``, ...) expands to gigabytes when loaded;
ledgerflow's files never need an alias, so none is taken, and a file is measured before it is parsed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MAX_FILE_BYTES = 5 * 1024 * 1024  # 5,000 rules with long conditions fit in far less


class _WithoutAliases(yaml.SafeLoader):
    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in ledgerflow's files: write the value out", mark
            )
        return super().compose_node(parent, index)


def read_yaml(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> Any:
    """The file's YAML. Raises ``OSError``, ``ValueError`` (too large) or ``yaml.YAMLError``."""
    size = path.stat().st_size
    if size > max_bytes:
        raise ValueError(f"{path} is {size:,} bytes; settings files may be at most {max_bytes:,}")
    return yaml.load(path.read_text(), Loader=_WithoutAliases)  # noqa: S506 (a SafeLoader, without aliases)
