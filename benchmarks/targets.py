"""What the benchmark runs: the project's own program, the floor (the same engine on no-op
resources) and the peer (dcos-deploy), each able to run the five operations of a round."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import yaml

from benchmarks import peer
from components import balancer_for
from components.config import parse_program_config
from tests.e2e.support import copy_program, pin_virtualenv
from tests.pulumi_cli import PulumiCli

FLOOR = Path(__file__).parent / "floor"
OPERATIONS = ("up", "preview", "up (no change)", "one-field change", "destroy")
PROJECT = "dcos-kubernetes-api"
#: The one field the change operation edits, for either load balancer (a label of the app, a
#: field of the pool's HAProxy frontend).
CHANGED_FIELD = ("clientTimeout", "86401s")
COMMAND_TIMEOUT = 1800.0


def cluster_names(count: int) -> list[str]:
    return [f"bench/k8s-{index:02d}" for index in range(count)]


def clusters(via: str, count: int, changed: bool = False) -> list[dict[str, Any]]:
    """The stack's `clusters`: every exposure on its own port (and stats port), so they can all
    run side by side; `changed` edits one field of the first."""
    found: list[dict[str, Any]] = []
    for index, name in enumerate(cluster_names(count)):
        entry: dict[str, Any] = {"name": name, "via": via, "port": 7001 + index, "publicHost": "127.0.0.1"}
        if via == "edge-lb":
            entry["statsPort"] = 8001 + index
        found.append(entry)
    if changed:
        key, value = CHANGED_FIELD
        found[0][key] = value
    return found


def documents(via: str, count: int, changed: bool = False) -> dict[str, dict[str, Any]]:
    """The app definitions or pools the project derives for those clusters (its own code), by
    Marathon app id or pool name: what the peer applies too."""
    program = parse_program_config({"clusters": clusters(via, count, changed)}, project=PROJECT)
    derived = {}
    for cluster in program.named:
        document = balancer_for(via).derive(cluster.exposure)
        derived[str(document.get("id") or document.get("name"))] = document
    return derived


class Target(ABC):
    """One contender on one (via, N): `prepare()` before each round, then `run(op)` per operation."""

    label: str

    @abstractmethod
    def prepare(self) -> None: ...

    @abstractmethod
    def command(self, operation: str) -> None:
        """Runs the operation; raises when it failed."""

    def run(self, operation: str) -> float:
        start = time.perf_counter()
        self.command(operation)
        return time.perf_counter() - start


class PulumiTarget(Target):
    def __init__(self, cli: PulumiCli, parallel: int) -> None:
        self.cli = cli
        self.parallel = str(parallel)

    def pulumi(self, *args: str) -> None:
        self.cli.clear()  # the log of every command would otherwise grow for the whole run
        self.cli.run(*args, "--parallel", self.parallel, timeout=COMMAND_TIMEOUT).check()

    def command(self, operation: str) -> None:
        if operation in ("up", "up (no change)"):
            self.pulumi("up", "--yes", "--skip-preview")
        elif operation == "preview":
            self.pulumi("preview", "--expect-no-changes")
        elif operation == "destroy":
            self.pulumi("destroy", "--yes", "--skip-preview")
        else:
            raise ValueError(operation)

    @abstractmethod
    def change(self) -> None:
        """Edits the stack's config for the change operation (not timed: run() times the up)."""

    def run(self, operation: str) -> float:
        if operation == "one-field change":
            self.change()
            start = time.perf_counter()
            self.pulumi("up", "--yes", "--skip-preview")
            return time.perf_counter() - start
        return super().run(operation)


class ProjectTarget(PulumiTarget):
    """This project's own program on a stack of `count` exposures via `via`."""

    def __init__(
        self, via: str, count: int, workdir: Path, engine: Path, url: str, token: str, parallel: int
    ) -> None:
        project = copy_program(workdir / "project")
        super().__init__(PulumiCli(project, workdir / "state", "bench", bin_dir=engine), parallel)
        self.label = "project"
        self.via = via
        self.count = count
        self.cli.set_config("dcos:url", url)
        self.cli.set_config("dcos:token", token, secret=True)

    def prepare(self) -> None:
        self.cli.set_config(f"{PROJECT}:clusters", json.dumps(clusters(self.via, self.count)))

    def change(self) -> None:
        self.cli.set_config(f"{PROJECT}:clusters", json.dumps(clusters(self.via, self.count, changed=True)))


class FloorTarget(PulumiTarget):
    """The same engine and hosts on `count` dynamic resources that do nothing."""

    def __init__(self, count: int, workdir: Path, engine: Path, parallel: int) -> None:
        project = workdir / "floor"
        shutil.copytree(FLOOR, project)
        pin_virtualenv(project, FLOOR)
        super().__init__(PulumiCli(project, workdir / "state", "bench", bin_dir=engine), parallel)
        self.label = "floor"
        self.cli.set_config("count", str(count))

    def prepare(self) -> None:
        self.cli.set_config("value", "a")

    def change(self) -> None:
        self.cli.set_config("value", "b")


class PeerTarget(Target):
    """dcos-deploy applying the same documents: `apply` (up, and again with nothing changed),
    `apply --dry-run` (its preview), `delete` (its destroy)."""

    def __init__(self, via: str, count: int, workdir: Path, url: str, token: str) -> None:
        self.label = "dcos-deploy"
        self.via = via
        self.count = count
        self.workdir = workdir / "dcos-deploy"
        self.workdir.mkdir(parents=True)
        (self.workdir / "home").mkdir()
        self.env = peer.environment(url, token, self.workdir / "home")
        self.executable = peer.install()

    def _write(self, changed: bool) -> None:
        entities: dict[str, Any] = {}
        kind = "app" if self.via == "marathon-lb" else "edgelb"
        for index, document in enumerate(documents(self.via, self.count, changed).values()):
            name = f"{kind}-{index:02d}.json"
            (self.workdir / name).write_text(json.dumps(document, indent=2))
            entities[f"exposure-{index:02d}"] = (
                {"type": "app", "marathon": name} if kind == "app" else {"type": "edgelb", "pool": name}
            )
        (self.workdir / "dcos.yml").write_text(yaml.safe_dump(entities))

    def prepare(self) -> None:
        self._write(changed=False)

    def deploy(self, *args: str) -> None:
        completed = subprocess.run(
            [str(self.executable), *args, "-f", "dcos.yml"],
            cwd=self.workdir,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
        if completed.returncode != 0 or "Traceback" in completed.stderr:
            raise RuntimeError(
                f"dcos-deploy {' '.join(args)} failed ({completed.returncode}):\n"
                f"{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
            )

    def command(self, operation: str) -> None:
        if operation in ("up", "up (no change)"):
            self.deploy("apply", "--yes")
        elif operation == "preview":
            self.deploy("apply", "--dry-run")
        elif operation == "destroy":
            self.deploy("delete", "--yes")
        else:
            raise ValueError(operation)

    def run(self, operation: str) -> float:
        if operation == "one-field change":
            self._write(changed=True)
            start = time.perf_counter()
            self.deploy("apply", "--yes")
            return time.perf_counter() - start
        return super().run(operation)
