"""The README's fenced blocks by id, and the registry of which test runs each shell block.

Every ```sh block of README.md is preceded by its id, `<!-- block: ID -->` (invisible when the
README is rendered). `RUNNERS` names the test that runs each one; that test's body reads the block
through `readme_block("ID")` or `readme_commands("ID")`, so it runs what the README says, not a
copy. tests/docs/test_readme_blocks.py fails for a shell block without an id or a runner, and for a
runner that no longer reads its block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tests.pulumi_cli import REPO

README = REPO / "README.md"
SHELL_LANGUAGES = frozenset({"sh", "bash", "shell", "console"})
_FENCE = re.compile(r"^```([\w-]*)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_ID = re.compile(r"<!-- block: ([a-z0-9-]+) -->\s*$")
_COMMENT = re.compile(r"\s+#\s.*$")

# block id -> the test (path::function) that runs it. Every shell block needs an id and an entry;
# any other block with an id needs one too.
RUNNERS: dict[str, str] = {
    # `make up` runs in a fresh copy of the repository; `make test` is this suite itself (scripts/check).
    "setup": "tests/e2e/test_main_job.py::test_the_main_job_as_a_newcomer_runs_it",
    # Not shell, but checked too: the lines of the sample output are what `make up` prints.
    "make-up-output": "tests/e2e/test_main_job.py::test_the_main_job_as_a_newcomer_runs_it",
    "sandbox-controls": "tests/e2e/test_main_job.py::test_the_main_job_as_a_newcomer_runs_it",
    "plain-cli": "tests/e2e/test_main_job.py::test_the_main_job_as_a_newcomer_runs_it",
    "real-cluster": "tests/e2e/test_exposure_stack_e2e.py::test_the_readme_real_cluster_steps_work_as_written",
}


@dataclass(frozen=True)
class Block:
    id: str | None
    language: str
    text: str
    line: int  # of the opening fence, 1-based


def blocks(text: str | None = None) -> list[Block]:
    """Every fenced block of the README (or of `text`), in order."""
    text = README.read_text() if text is None else text
    found = []
    for match in _FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        label = _ID.search(before)
        line = text.count("\n", 0, match.start()) + 1
        found.append(Block(label.group(1) if label else None, match.group(1), match.group(2), line))
    return found


def readme_block(block_id: str, path: Path = README) -> str:
    """The text of the block with this id."""
    matches = [b for b in blocks(path.read_text()) if b.id == block_id]
    assert len(matches) == 1, f"README.md has {len(matches)} blocks with id {block_id!r}"
    return matches[0].text


def readme_commands(block_id: str) -> list[str]:
    """The block's command lines, without blank lines and trailing `# comments`."""
    lines = (_COMMENT.sub("", line).strip() for line in readme_block(block_id).splitlines())
    return [line for line in lines if line and not line.startswith("#")]
