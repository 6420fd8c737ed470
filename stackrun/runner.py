"""A hermetic driver for one Pulumi project directory and stack."""

from __future__ import annotations

import os
import runpy
import shutil
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto


def engine_environment(
    project_dir: Path, state_dir: Path | None = None, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The variables every engine run gets: its own PULUMI_HOME, a file backend (unless the caller
    chose one), no update checks or plugin downloads, and this interpreter for the dynamic provider."""
    environ = dict(os.environ if base is None else base)
    state = state_dir or project_dir / ".state"
    env = {
        "PULUMI_HOME": environ.get("PULUMI_HOME") or str(state / "pulumi-home"),
        "PULUMI_BACKEND_URL": environ.get("PULUMI_BACKEND_URL") or (state / "backend").resolve().as_uri(),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_PYTHON_CMD": sys.executable,
        "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
    }
    if env["PULUMI_BACKEND_URL"].startswith("file://"):
        Path(env["PULUMI_BACKEND_URL"].removeprefix("file://")).mkdir(parents=True, exist_ok=True)
    Path(env["PULUMI_HOME"]).mkdir(parents=True, exist_ok=True)
    return env


def _pulumi_command() -> auto.PulumiCommand:
    found = shutil.which("pulumi")
    if found is None:
        raise SystemExit(
            "no `pulumi` on PATH: run scripts/install-pulumi and put the folder it prints on PATH"
        )
    root = Path(found).resolve().parent.parent
    return auto.PulumiCommand(root=str(root), skip_version_check=True)


def _program(project_dir: Path) -> Callable[[], None]:
    main = project_dir / "__main__.py"

    def run() -> None:
        if str(project_dir) not in sys.path:
            sys.path.insert(0, str(project_dir))
        runpy.run_path(str(main), run_name="__main__")

    return run


class StackRunner:
    def __init__(
        self,
        project_dir: Path,
        stack: str,
        *,
        state_dir: Path | None = None,
        extra_env: Mapping[str, str] | None = None,
        on_output: Callable[[str], Any] | None = print,
        on_error: Callable[[str], Any] | None = None,
    ) -> None:
        self.project_dir = project_dir.resolve()
        settings = yaml.safe_load((self.project_dir / "Pulumi.yaml").read_text())
        self.project_name = str(settings["name"])
        self.env = {**engine_environment(self.project_dir, state_dir), **(extra_env or {})}
        self.on_output = on_output
        # The engine writes errors (failed checks, provider exceptions) to stderr.
        self.on_error = on_error or (lambda text: print(text, file=sys.stderr, end=""))
        options = auto.LocalWorkspaceOptions(
            work_dir=str(self.project_dir),
            pulumi_home=self.env["PULUMI_HOME"],
            env_vars=self.env,
            pulumi_command=_pulumi_command(),
        )
        self.stack = auto.create_or_select_stack(
            stack, project_name=self.project_name, program=_program(self.project_dir), opts=options
        )

    def set_config(self, key: str, value: str, secret: bool = False) -> None:
        self.stack.set_config(key, auto.ConfigValue(value, secret=secret))

    def up(self) -> auto.UpResult:
        return self.stack.up(on_output=self.on_output, on_error=self.on_error, color="never")

    def preview(self, expect_no_changes: bool = False, diff: bool = True) -> auto.PreviewResult:
        return self.stack.preview(
            on_output=self.on_output,
            on_error=self.on_error,
            color="never",
            diff=diff,
            expect_no_changes=expect_no_changes,
        )

    def refresh(self) -> auto.RefreshResult:
        return self.stack.refresh(on_output=self.on_output, on_error=self.on_error, color="never", diff=True)

    def destroy(self) -> auto.DestroyResult:
        return self.stack.destroy(on_output=self.on_output, on_error=self.on_error, color="never")

    def outputs(self) -> dict[str, auto.OutputValue]:
        return dict(self.stack.outputs())
