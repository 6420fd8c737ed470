"""What the end-to-end tests share: copies of the projects they drive (pinned to this interpreter's
virtualenv), the clusters they expose, and the sandbox's write log."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.pulumi_cli import REPO, PulumiCli

PROJECTS = Path(__file__).parent / "projects"
VENV = Path(sys.executable).parent.parent
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

FIRST = {"name": "kubernetes-cluster", "via": "marathon-lb", "publicHost": "127.0.0.1"}
SECOND = {"name": "dev/kubernetes01", "via": "edge-lb", "port": 6444, "publicHost": "127.0.0.1"}


def pin_virtualenv(project_dir: Path, source: Path = REPO) -> Path:
    """Points the project's `virtualenv` option at this interpreter's virtualenv (absolute), so the
    program and the dynamic providers run on the packages under test; plugin paths, relative to the
    folder the Pulumi.yaml was copied from (`source`), become absolute too."""
    settings_file = project_dir / "Pulumi.yaml"
    settings = yaml.safe_load(settings_file.read_text())
    settings["runtime"]["options"]["virtualenv"] = str(VENV)
    for plugin in (settings.get("plugins") or {}).get("providers") or []:
        if "path" in plugin and not Path(plugin["path"]).is_absolute():
            plugin["path"] = str(source / plugin["path"])
    settings_file.write_text(yaml.safe_dump(settings))
    return project_dir


def copy_test_project(name: str, destination: Path) -> Path:
    """One of tests/e2e/projects/."""
    target = destination / name
    shutil.copytree(PROJECTS / name, target)
    return pin_virtualenv(target, PROJECTS / name)


def copy_program(destination: Path, *stack_files: str) -> Path:
    """This project's own program (Pulumi.yaml, __main__.py and the given Pulumi.<stack>.yaml);
    `provider` and `components` come from the virtualenv's path entry for the repository."""
    destination.mkdir(parents=True)
    for name in ("Pulumi.yaml", "__main__.py", *stack_files):
        shutil.copy(REPO / name, destination / name)
    return pin_virtualenv(destination)


def set_clusters(cli: PulumiCli, clusters: list[dict[str, Any]]) -> None:
    cli.set_config("dcos-kubernetes-api:clusters", json.dumps(clusters))


def service_writes(sandbox: Any) -> list[dict[str, Any]]:
    """The requests that could have changed the cluster (control API excluded)."""
    return [
        r for r in sandbox.requests() if r["method"] in WRITE_METHODS and r["path"].startswith("/service/")
    ]


def diff_lines(output: str, *markers: str) -> list[str]:
    """The lines of a `preview --diff` holding `=>` (or another marker at their start), without the
    alignment padding."""
    return [
        " ".join(line.split())
        for line in output.splitlines()
        if "=>" in line or any(line.strip().startswith(marker) for marker in markers)
    ]
