"""Every shell block of the README is run by a test (tests/docs/readme.py registers which), so a
new block without one fails here, and so does a registered test that stopped reading its block."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.docs.readme import RUNNERS, SHELL_LANGUAGES, blocks
from tests.pulumi_cli import REPO

READERS = {"readme_block", "readme_commands"}


def reads_block(function: ast.FunctionDef, block_id: str) -> bool:
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in READERS
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == block_id
        ):
            return True
    return False


def test_every_shell_block_has_an_id_and_a_runner() -> None:
    found = blocks()
    without_id = [b.line for b in found if b.language in SHELL_LANGUAGES and b.id is None]
    assert without_id == [], f"README.md lines {without_id}: put `<!-- block: ID -->` before the block"
    ids = [b.id for b in found if b.id is not None]
    assert len(ids) == len(set(ids)), f"duplicate block ids: {ids}"
    assert set(ids) - RUNNERS.keys() == set(), (
        "register the test that runs each block in tests/docs/readme.py"
    )
    assert RUNNERS.keys() - set(ids) == set(), "RUNNERS names blocks the README no longer has"


def test_each_runner_reads_its_block() -> None:
    for block_id, node in RUNNERS.items():
        path, _, name = node.partition("::")
        tree = ast.parse(Path(REPO / path).read_text())
        functions = [f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name == name]
        assert functions, f"{node} (runner of block {block_id!r}) does not exist"
        assert reads_block(functions[0], block_id), f"{node} does not read block {block_id!r}"


def test_a_new_block_without_an_id_is_seen() -> None:
    text = "<!-- block: a -->\n```sh\necho a\n```\n\nthen\n\n```bash\necho b\n```\n\n```yaml\nk: v\n```\n"
    assert [(b.id, b.language, b.text) for b in blocks(text)] == [
        ("a", "sh", "echo a\n"),
        (None, "bash", "echo b\n"),
        (None, "yaml", "k: v\n"),
    ]
