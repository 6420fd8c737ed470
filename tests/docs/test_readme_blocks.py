"""Every shell block of the README is run by a test (tests/docs/readme.py registers which), so a
new block without one fails here, and so does a registered test that stopped reading its block."""

from __future__ import annotations

import re
from pathlib import Path

from tests.docs.readme import RUNNERS, SHELL_LANGUAGES, blocks
from tests.pulumi_cli import REPO

READERS = {"readme_block", "readme_commands"}


# Text, not `ast`: CPython 3.11's AST constructor can fail with "recursion depth mismatch" when it
# runs deep inside a long pytest session, and a function's own lines are all this check needs.
_DEF = re.compile(r"^(?:async )?def (\w+)\(", re.MULTILINE)


def function_source(source: str, name: str) -> str | None:
    """The text of the top-level function `name`, up to the next top-level definition."""
    starts = [(m.group(1), m.start()) for m in _DEF.finditer(source)]
    for index, (found, start) in enumerate(starts):
        if found == name:
            end = starts[index + 1][1] if index + 1 < len(starts) else len(source)
            return source[start:end]
    return None


def reads_block(function: str, block_id: str) -> bool:
    readers = "|".join(sorted(READERS))
    return re.search(rf"\b(?:{readers})\(\s*[\"']{re.escape(block_id)}[\"']", function) is not None


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
        function = function_source(Path(REPO / path).read_text(), name)
        assert function is not None, f"{node} (runner of block {block_id!r}) does not exist"
        assert reads_block(function, block_id), f"{node} does not read block {block_id!r}"


def test_the_reader_check_sees_a_missing_read() -> None:
    source = 'def a() -> None:\n    run(readme_block("x"))\n\n\ndef b() -> None:\n    run("x")\n'
    assert reads_block(function_source(source, "a") or "", "x")
    assert not reads_block(function_source(source, "b") or "", "x")
    assert function_source(source, "c") is None


def test_a_new_block_without_an_id_is_seen() -> None:
    text = "<!-- block: a -->\n```sh\necho a\n```\n\nthen\n\n```bash\necho b\n```\n\n```yaml\nk: v\n```\n"
    assert [(b.id, b.language, b.text) for b in blocks(text)] == [
        ("a", "sh", "echo a\n"),
        (None, "bash", "echo b\n"),
        (None, "yaml", "k: v\n"),
    ]
