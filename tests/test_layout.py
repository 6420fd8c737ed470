"""The test suite's own rule: test modules share code through helper modules, never by importing
another test module (pytest would collect the imported tests twice over, and a rename breaks both)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def imported_test_modules(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names = (
            [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else []
        )
        found += [n for n in names if n.startswith("tests.") and n.rsplit(".", 1)[-1].startswith("test_")]
    return found


def test_no_test_module_imports_another() -> None:
    offenders = {
        str(p.relative_to(TESTS)): imported_test_modules(p)
        for p in sorted(TESTS.rglob("*.py"))
        if imported_test_modules(p)
    }
    assert offenders == {}
