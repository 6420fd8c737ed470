"""The project's interpreter for our Python language host (pulumi-language-python), as the Go
host's `pip` toolchain does it: the `virtualenv` option resolved against the project root and
created from the program folder's requirements.txt when missing or empty; without one,
$PULUMI_PYTHON_CMD or python3. Also the resource plugins the installed packages ask for.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from google.protobuf import json_format  # type: ignore[import-untyped]

PRE_RELEASES = {"a": "alpha", "b": "beta", "rc": "rc"}
PLUGINLESS_PACKAGES = {"pulumi-policy", "pulumi_policy", "pulumi-esc-sdk", "pulumi_esc_sdk"}


class HostError(Exception):
    """A failure the user can act on: sent to the engine as the RPC's error message."""


def pep440_to_semver(version: str) -> str | None:
    """`1.2.3a4.post5.dev6` -> `1.2.3-alpha.4+post5dev6`, the plugin version a package implies."""
    match = re.fullmatch(r"(\d+(?:\.\d+)*)(?:(a|b|rc)(\d+))?(?:\.post(\d+))?(?:\.dev(\d+))?", version)
    if match is None:
        return None
    release, pre_kind, pre_number, post, dev = match.groups()
    segments = release.split(".")
    segments += ["0"] * (3 - len(segments))
    result = ".".join(segments)
    if pre_kind:
        result += f"-{PRE_RELEASES[pre_kind]}.{pre_number}"
    if post is not None:
        result += f"+post{post}"
    if dev is not None:
        result += ("" if post is not None else "+") + f"dev{dev}"
    return result


def stream_process(
    argv: list[str], cwd: Path, env: dict[str, str], emit: Callable[[bytes, bool], None]
) -> int:
    """Runs `argv`, handing each chunk of its stdout (False) and stderr (True) to `emit` as it comes."""
    try:
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as error:
        raise HostError(f"could not run {argv[0]}: {error}") from error

    def pump(pipe: Any, is_error: bool) -> None:
        for chunk in iter(lambda: pipe.read1(65536), b""):
            emit(chunk, is_error)

    readers = [
        threading.Thread(target=pump, args=(process.stdout, False), daemon=True),
        threading.Thread(target=pump, args=(process.stderr, True), daemon=True),
    ]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    return process.wait()


class Toolchain:
    """The project's interpreter for toolchain `pip`, from a request's ProgramInfo."""

    def __init__(self, info: Any, default_virtualenv: str = "") -> None:
        has_info = info is not None and info.ByteSize() > 0
        options: dict[str, Any] = {}
        if has_info and info.HasField("options"):
            options = json_format.MessageToDict(info.options)
        self.root = Path(info.root_directory or os.getcwd()) if has_info else Path.cwd()
        self.program_dir = Path(info.program_directory or self.root) if has_info else Path.cwd()
        name = options.get("toolchain", "pip")
        if name != "pip":
            raise HostError(
                f"runtime option toolchain: {name!r} is not supported by this Python language host;"
                " use toolchain: pip (with a virtualenv option, or PULUMI_PYTHON_CMD)"
            )
        option = options.get("virtualenv", default_virtualenv)
        if not isinstance(option, str):
            raise HostError("the runtime option virtualenv in Pulumi.yaml must be a string")
        self.virtualenv_option = option
        self.venv = (self.root / option) if option else None  # an absolute option stays as it is

    def python(self) -> str:
        if self.venv is not None:
            return str(self.venv / "bin" / "python")
        return self.base_python()

    @staticmethod
    def base_python() -> str:
        wanted = os.environ.get("PULUMI_PYTHON_CMD")
        for name in [wanted] if wanted else ["python3", "python"]:
            found = shutil.which(name)
            if found:
                return found
        raise HostError(f"could not find {wanted or 'python3 or python'} on PATH; install Python 3")

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ)
        if self.venv is not None:
            env["VIRTUAL_ENV"] = str(self.venv)
            env["PATH"] = os.pathsep.join(filter(None, [str(self.venv / "bin"), env.get("PATH")]))
            env.pop("PYTHONHOME", None)
        return {**env, **(extra or {})}

    def is_venv(self) -> bool:
        return self.venv is not None and (self.venv / "bin" / "python").is_file()

    def needs_venv(self) -> bool:
        if self.venv is None or self.is_venv():
            return False
        if self.venv.exists() and not self.venv.is_dir():
            raise HostError(
                f"the virtualenv option in Pulumi.yaml names {self.venv}, which is not a directory"
            )
        return not self.venv.exists() or not any(self.venv.iterdir())

    def validate(self) -> None:
        if self.venv is not None and not self.is_venv():
            state = "does not exist" if not self.venv.exists() else "is not a virtual environment"
            raise HostError(
                f"the virtualenv option in Pulumi.yaml is {self.virtualenv_option!r}, but {self.venv} {state};"
                f" create it with: python3 -m venv {self.venv} && {self.venv}/bin/python -m pip install"
                " -r requirements.txt (or run `pulumi install`)"
            )

    def install(self, emit: Callable[[bytes, bool], None], create: bool) -> None:
        """Creates the virtualenv (when `create`) and installs requirements.txt into it."""
        steps: list[tuple[str, list[str]]] = []
        if self.venv is not None and create:
            steps.append(
                ("creating the virtual environment", [self.base_python(), "-m", "venv", str(self.venv)])
            )
            steps.append(("updating pip", [self.python(), "-m", "pip", "install", "--upgrade", "pip"]))
        if (self.program_dir / "requirements.txt").is_file():
            steps.append(
                (
                    "installing requirements.txt",
                    [self.python(), "-m", "pip", "install", "-r", "requirements.txt"],
                )
            )
        for what, argv in steps:
            emit(f"{what[0].upper()}{what[1:]}...\n".encode(), False)
            code = stream_process(argv, self.program_dir, self.env(), emit)
            if code != 0:
                raise HostError(f"{what} failed (`{' '.join(argv)}` exited with code {code})")

    def packages(self, transitive: bool) -> list[dict[str, Any]]:
        argv = [self.python(), "-m", "pip", "list", "-v", "--format", "json"]
        if not transitive:
            argv.append("--not-required")
        result = subprocess.run(
            argv, cwd=self.program_dir, env=self.env(), capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise HostError(
                f"`{' '.join(argv)}` failed (pip must be installed in that interpreter): {result.stderr.strip()}"
            )
        listing: list[dict[str, Any]] = json.loads(result.stdout)
        return listing


def plugin_packages(toolchain: Toolchain) -> list[dict[str, Any]]:
    """The resource plugins the installed Python packages ask for, as the Go host finds them: a
    package with a `pulumi-plugin.json`, or a first-party `pulumi-*` one (not `pulumi` itself)."""
    found: list[dict[str, Any]] = []
    for package in toolchain.packages(transitive=True):
        name, location = str(package["name"]), str(package.get("location") or "")
        if name in PLUGINLESS_PACKAGES:
            continue
        manifest_path = Path(location) / name.replace("-", "_") / "pulumi-plugin.json"
        manifest: dict[str, Any] = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
        if not manifest and not name.startswith(("pulumi-", "pulumi_")):
            continue
        if manifest and not manifest.get("resource"):
            continue
        version = manifest.get("version") or pep440_to_semver(str(package["version"]))
        if not version:
            continue
        found.append(
            {
                "name": manifest.get("name") or name.removeprefix("pulumi-"),
                "version": version if version.startswith("v") else f"v{version}",
                "server": manifest.get("server", ""),
                "parameterization": manifest.get("parameterization"),
            }
        )
    return found
