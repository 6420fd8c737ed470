"""The `pulumi` CLI as users run it, for tests: one project directory and stack per instance, in a
hermetic environment (its own PULUMI_HOME, a file backend, a passphrase, no update check, no
plugin downloads), with the exit code and the combined output of every command.

Secrets are passed on stdin (`pulumi config set --secret KEY` reads the value from stdin when it is
not a terminal), never on the command line.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PASSPHRASE = "e2e-passphrase"
PATH_WARNING = "using pulumi-language-python from $PATH"
COMMAND_TIMEOUT = 600.0


@functools.cache
def engine_bin() -> Path:
    """The engine's bin folder (built or reused by scripts/install-pulumi)."""
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / "install-pulumi")],
        capture_output=True,
        text=True,
        timeout=3000,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"scripts/install-pulumi failed:\n{result.stderr}")
    return Path(result.stdout.strip().splitlines()[-1])


def hermetic_env(
    state_dir: Path, bin_dir: Path, passphrase: str | None = PASSPHRASE, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of every command: the caller's, minus any PULUMI_* setting of its own, plus
    the engine and this interpreter's virtualenv first on PATH, PULUMI_HOME and a file backend under
    `state_dir`, the passphrase (unset when None), and nothing that reaches the network."""
    env = {k: v for k, v in (os.environ if base is None else base).items() if not k.startswith("PULUMI_")}
    backend = state_dir / "backend"
    home = state_dir / "home"
    backend.mkdir(parents=True, exist_ok=True)
    home.mkdir(parents=True, exist_ok=True)
    venv_bin = Path(sys.executable).parent
    env.update(
        {
            "PATH": os.pathsep.join([str(bin_dir), str(venv_bin), env.get("PATH", "")]),
            "PULUMI_HOME": str(home),
            "PULUMI_BACKEND_URL": backend.resolve().as_uri(),
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            # Only used where a project names no virtualenv: the program and the dynamic providers
            # then run on this interpreter.
            "PULUMI_PYTHON_CMD": sys.executable,
        }
    )
    if passphrase is not None:
        env["PULUMI_CONFIG_PASSPHRASE"] = passphrase
    return env


@dataclass(frozen=True)
class Result:
    args: tuple[str, ...]
    code: int
    output: str  # stdout and stderr, interleaved as the CLI wrote them

    @property
    def ok(self) -> bool:
        return self.code == 0

    def check(self) -> Result:
        if self.code != 0:
            raise AssertionError(f"pulumi {' '.join(self.args)} exited with {self.code}:\n{self.output}")
        return self


class PulumiCli:
    """`pulumi` on one project directory and stack, on a private file backend under `state_dir`."""

    def __init__(
        self,
        project_dir: Path,
        state_dir: Path,
        stack: str = "e2e",
        *,
        bin_dir: Path | None = None,
        passphrase: str | None = PASSPHRASE,
        extra_env: Mapping[str, str] | None = None,
        create: bool = True,
    ) -> None:
        self.project_dir = project_dir
        self.state_dir = state_dir
        self.stack = stack
        self.bin_dir = bin_dir or engine_bin()
        self.env = {**hermetic_env(state_dir, self.bin_dir, passphrase), **(extra_env or {})}
        self.log: list[Result] = []
        if create:
            self.run("stack", "select", "--create", stack, stack_flag=False).check()

    @property
    def text(self) -> str:
        """Everything the CLI printed so far, every command included."""
        return "\n".join(result.output for result in self.log)

    def clear(self) -> None:
        self.log.clear()

    def run(
        self,
        *args: str,
        stdin: str | None = None,
        stack_flag: bool = True,
        merge: bool = True,
        reveals: bool = False,
        timeout: float = COMMAND_TIMEOUT,
    ) -> Result:
        """`pulumi ARGS --stack S --non-interactive --color never`; with `merge=False` the output is
        stdout alone (for --json), stderr going to the log only. The output of a command that
        `reveals` secrets on purpose stays out of the log, so that `text` can be checked for leaks."""
        argv = [
            *args,
            *(["--stack", self.stack] if stack_flag else []),
            "--non-interactive",
            "--color",
            "never",
        ]
        completed = subprocess.run(
            [str(self.bin_dir / "pulumi"), *argv],
            cwd=self.project_dir,
            env=self.env,
            input=stdin if stdin is not None else "",
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge else subprocess.PIPE,
            text=True,
            timeout=timeout,
            check=False,
        )
        result = Result(tuple(argv), completed.returncode, completed.stdout)
        kept = completed.stdout if merge else completed.stderr
        self.log.append(Result(tuple(argv), completed.returncode, "(not kept)" if reveals else kept))
        return result

    # -- the commands -----------------------------------------------------------------------------

    def set_config(self, key: str, value: str, secret: bool = False) -> Result:
        """The value always goes through stdin: never visible in a process listing."""
        return self.run("config", "set", *(["--secret"] if secret else []), key, stdin=value).check()

    def up(self, *extra: str) -> Result:
        return self.run("up", "--yes", "--skip-preview", *extra)

    def preview(self, *extra: str, diff: bool = True, expect_no_changes: bool = False) -> Result:
        flags = [*(["--diff"] if diff else []), *(["--expect-no-changes"] if expect_no_changes else [])]
        return self.run("preview", *flags, *extra)

    def preview_json(self, *extra: str) -> tuple[Result, dict[str, Any]]:
        result = self.run("preview", "--json", *extra, merge=False)
        try:
            document: dict[str, Any] = json.loads(result.output)
        except json.JSONDecodeError:
            document = {}
        return result, document

    def refresh(self, *extra: str) -> Result:
        return self.run("refresh", "--yes", *extra)

    def destroy(self, *extra: str) -> Result:
        return self.run("destroy", "--yes", *extra)

    def outputs(self, show_secrets: bool = False) -> dict[str, Any]:
        args = ["stack", "output", "--json", *(["--show-secrets"] if show_secrets else [])]
        result = self.run(*args, merge=False, reveals=show_secrets).check()
        values: dict[str, Any] = json.loads(result.output)
        return values

    def last_changes(self) -> Counter[str]:
        """What the last `up`, `refresh` or `destroy` changed, per kind (`update`, `delete`, `same`,
        ...), from the stack's history."""
        result = self.run("stack", "history", "--json", merge=False).check()
        history: list[dict[str, Any]] = json.loads(result.output)
        return Counter({str(op): int(n) for op, n in (history[0].get("resourceChanges") or {}).items()})

    def state_files_text(self) -> str:
        """Every file of the backend and PULUMI_HOME (state, history, backups, logs), for leak checks."""
        return "\n".join(
            p.read_text(errors="replace")
            for p in self.state_dir.rglob("*")
            if p.is_file() and p.suffix != ".lock"
        )


def planned_changes(preview: Mapping[str, Any]) -> Counter[str]:
    """How many resources a `pulumi preview --json` document plans to `create`, `update`, `delete`,
    `replace` or leave the `same` (the engine's own change summary, as `pulumi preview` prints it)."""
    return Counter({str(op): int(n) for op, n in (preview.get("changeSummary") or {}).items()})
