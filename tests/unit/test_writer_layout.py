"""The writer's rooms: the queue and the posting core know the books only through the books interface."""

from __future__ import annotations

import ast
from pathlib import Path

import ledgerflow.ledger_writer

WRITER = Path(ledgerflow.ledger_writer.__file__).parent
TARGETS = "ledgerflow.ledger_writer.targets"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_module_outside_a_target_imports_one_but_the_composition_root() -> None:
    offenders = {}
    for path in WRITER.rglob("*.py"):
        relative = path.relative_to(WRITER)
        if relative.parts[0] == "targets" or relative == Path("app.py"):
            continue
        targets = sorted(m for m in imported_modules(path) if m.startswith(TARGETS))
        if targets:
            offenders[str(relative)] = targets
    assert offenders == {}, "the queue and the posting core must go through books.py"


def test_the_composition_root_chooses_the_target_without_speaking_to_its_client() -> None:
    imports = imported_modules(WRITER / "app.py")
    assert not any(m.startswith(f"{TARGETS}.qbo.client") for m in imports)
    assert f"{TARGETS}.qbo.QuickBooksOnline" in imports


def test_each_room_has_a_folder_of_its_own() -> None:
    assert {p.name for p in WRITER.iterdir() if p.is_dir() and not p.name.startswith("__")} == {
        "queue",
        "posting",
        "targets",
    }
    assert (WRITER / "targets" / "qbo" / "client.py").exists()
