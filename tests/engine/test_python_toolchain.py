"""The language host's pure decisions (scripts/engine/python_toolchain.py): which interpreter and
virtualenv, its activation, and the plugins the installed packages ask for."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import struct_pb2  # type: ignore[import-untyped]
from pulumi.runtime.proto import language_pb2

from tests.pulumi_cli import REPO


def _load() -> Any:
    spec = importlib.util.spec_from_file_location(
        "python_toolchain", REPO / "scripts/engine/python_toolchain.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


toolchain = _load()


def info(root: Path, program: Path, **options: Any) -> Any:
    struct = struct_pb2.Struct()
    struct.update(options)
    return language_pb2.ProgramInfo(
        root_directory=str(root), program_directory=str(program), entry_point=".", options=struct
    )


@pytest.mark.parametrize(
    ("version", "plugin"),
    [
        ("6.1.0", "6.1.0"),
        ("1.0", "1.0.0"),
        ("1.2.3a4", "1.2.3-alpha.4"),
        ("1.2.3rc4", "1.2.3-rc.4"),
        ("1.2.3.post4", "1.2.3+post4"),
        ("1.2.3.dev5", "1.2.3+dev5"),
        ("1.2.3.post4.dev5", "1.2.3+post4dev5"),
        ("1!2.0", None),
        ("not-a-version", None),
    ],
)
def test_plugin_versions_from_package_versions(version: str, plugin: str | None) -> None:
    assert toolchain.pep440_to_semver(version) == plugin


def test_a_relative_virtualenv_is_the_project_roots(tmp_path: Path) -> None:
    chain = toolchain.Toolchain(info(tmp_path, tmp_path / "src", toolchain="pip", virtualenv="venv"))
    assert chain.venv == tmp_path / "venv"
    assert chain.python() == str(tmp_path / "venv" / "bin" / "python")
    assert chain.needs_venv()
    absolute = toolchain.Toolchain(info(tmp_path, tmp_path / "src", virtualenv="/opt/venv"))
    assert absolute.venv == Path("/opt/venv")


def test_activation_puts_the_venv_first_and_drops_pythonhome(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONHOME", "/somewhere")
    monkeypatch.setenv("PATH", "/usr/bin")
    env = toolchain.Toolchain(info(tmp_path, tmp_path, virtualenv="venv")).env({"EXTRA": "1"})
    assert env["VIRTUAL_ENV"] == str(tmp_path / "venv")
    assert env["PATH"] == f"{tmp_path / 'venv' / 'bin'}:/usr/bin"
    assert "PYTHONHOME" not in env and env["EXTRA"] == "1"


def test_without_a_virtualenv_pulumi_python_cmd_is_the_interpreter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "bin" / "my-python"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    monkeypatch.setenv("PULUMI_PYTHON_CMD", "my-python")
    chain = toolchain.Toolchain(info(tmp_path, tmp_path))
    assert chain.venv is None and chain.python() == str(fake)
    monkeypatch.setenv("PULUMI_PYTHON_CMD", "no-such-python")
    with pytest.raises(toolchain.HostError, match="no-such-python"):
        chain.python()


def test_other_toolchains_and_bad_options_are_refused(tmp_path: Path) -> None:
    with pytest.raises(toolchain.HostError, match="toolchain: 'uv' is not supported"):
        toolchain.Toolchain(info(tmp_path, tmp_path, toolchain="uv"))
    with pytest.raises(toolchain.HostError, match=r"virtualenv in Pulumi\.yaml must be a string"):
        toolchain.Toolchain(info(tmp_path, tmp_path, virtualenv=3))


def test_a_missing_virtualenv_is_explained(tmp_path: Path) -> None:
    chain = toolchain.Toolchain(info(tmp_path, tmp_path, virtualenv="venv"))
    with pytest.raises(toolchain.HostError, match=r"does not exist; create it with: python3 -m venv"):
        chain.validate()
    (tmp_path / "venv").write_text("")
    with pytest.raises(toolchain.HostError, match="not a directory"):
        chain.needs_venv()


def test_plugins_of_the_installed_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site-packages"
    for module, manifest in {
        "pulumi": {"resource": False},
        "pulumi_random": None,
        "pulumi_policy": None,
        "acme_widgets": {"resource": True, "name": "widgets", "version": "2.0.0", "server": "https://x"},
        "pulumi_command": {"resource": False},
    }.items():
        (site / module).mkdir(parents=True)
        if manifest is not None:
            (site / module / "pulumi-plugin.json").write_text(json.dumps(manifest))
    listing = [
        {"name": "pulumi", "version": "3.272.0"},
        {"name": "pulumi-random", "version": "4.16.0"},
        {"name": "pulumi-policy", "version": "1.0.0"},
        {"name": "acme-widgets", "version": "9.9.9"},
        {"name": "pulumi-command", "version": "1.0.0"},
        {"name": "requests", "version": "2.34.2"},
        {"name": "pulumi-nightly", "version": "3.31.0a1605189729+abc"},
    ]
    listing = [{**package, "location": str(site)} for package in listing]
    chain = toolchain.Toolchain(info(tmp_path, tmp_path))
    monkeypatch.setattr(chain, "packages", lambda transitive: listing)
    assert toolchain.plugin_packages(chain) == [
        {"name": "random", "version": "v4.16.0", "server": "", "parameterization": None},
        {"name": "widgets", "version": "v2.0.0", "server": "https://x", "parameterization": None},
    ]


def test_a_project_with_only_pulumi_needs_no_plugin(tmp_path: Path) -> None:
    """What the Go host answers for this project's own virtualenv (only `pulumi` among the Pulumi
    packages): nothing, and the engine then loads only the bundled plugins."""
    chain = toolchain.Toolchain(info(tmp_path, tmp_path, virtualenv=str(Path(sys.executable).parent.parent)))
    assert toolchain.plugin_packages(chain) == []
