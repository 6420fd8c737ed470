"""The main job as a newcomer runs it (issue 8's done criteria), in a copy of the repository with its
own `.state/` and its own virtualenv made by `make up` itself: `make up`, then a second cluster
added to Pulumi.local.yaml and `make up` again, the plain `pulumi` CLI after `eval "$(scripts/env)"`,
the README's blocks for the local stack verbatim, and `make down` leaving no process behind. Also
the failure a user must not miss: a port that does not answer fails `make up`, naming the cluster.

The sandbox's HAProxy binds *:6443 and *:6444: run under the host-wide lock
(`flock /tmp/haproxy-6443.lock .venv/bin/pytest -m haproxy ...`). The sandbox itself listens on a
free port (LOCALDCOS_PORT), so it never meets one a developer left running on 18080.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import urllib3

from tests.docs.readme import readme_block, readme_commands
from tests.e2e.support import SECOND
from tests.localdcos.helpers import free_ports, require_free_apiserver_port
from tests.pulumi_cli import PATH_WARNING, REPO

pytestmark = [pytest.mark.e2e, pytest.mark.haproxy]

COMMAND_TIMEOUT = 600
# What a caller's shell may carry that a newcomer's does not; the engine cache and its version stay
# (a developer may keep the engine elsewhere, and a second build is not what is under test).
KEPT_PULUMI = {"PULUMI_ENGINE_CACHE", "PULUMI_VERSION", "PULUMI_FORCE_BUILD"}
DROPPED = {"STACK", "PROBE_SECONDS", "VIRTUAL_ENV", "PYTHONPATH", "KUBECONFIG"}
CLUSTERS_OF_LOCAL = "      publicHost: 127.0.0.1\n"


def copy_repository(source: Path, destination: Path) -> Path:
    """The working tree as git sees it (committed, changed and new files; nothing ignored)."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=source,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    for name in filter(None, listing.split("\0")):
        origin = source / name
        if not origin.is_file():  # deleted in the working tree
            continue
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(origin.read_bytes())
        target.chmod(origin.stat().st_mode & 0o777)
    return destination


def newcomer_env(port: int) -> dict[str, str]:
    """The caller's environment without this project's settings and tools on PATH."""
    test_venv_bin = str(Path(sys.executable).parent)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in DROPPED
        and not key.startswith(("DCOS_", "LOCALDCOS_"))
        and (not key.startswith("PULUMI_") or key in KEPT_PULUMI)
    }
    path = [
        d
        for d in env.get("PATH", "").split(os.pathsep)
        if d and d != test_venv_bin and "pulumi-engine" not in d
    ]
    env["PATH"] = os.pathsep.join(path)
    env["LOCALDCOS_PORT"] = str(port)
    return env


def descendants(pid: int) -> set[int]:
    """`pid` and every process below it, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                # Field 4 of stat is the parent; the command name (field 2) may hold spaces.
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        found.add(current)
        todo.extend(children.get(current, []))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def processes_mentioning(text: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(os.getpid()):
            with contextlib.suppress(OSError):
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                if text in command:
                    found.append(f"{entry.name}: {command}")
    return found


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Checkout:
    root: Path
    env: dict[str, str]
    url: str

    def run(
        self, *argv: str, extra_env: Mapping[str, str] | None = None, timeout: float = COMMAND_TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        """A command in the checkout, stdout and stderr merged as a terminal shows them."""
        return subprocess.run(
            argv,
            cwd=self.root,
            env={**self.env, **(extra_env or {})},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )

    def bash(
        self, script: str, extra_env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return self.run("bash", "-euo", "pipefail", "-c", script, extra_env=extra_env)

    def sandbox_pid(self) -> int | None:
        with contextlib.suppress(OSError, ValueError):
            pid = int((self.root / ".state" / "localdcos.pid").read_text())
            return pid if alive(pid) else None
        return None

    def api(self, path: str) -> Any:
        token = (self.root / ".state" / "token").read_text().strip()
        response = requests.get(self.url + path, headers={"Authorization": f"token={token}"}, timeout=10)
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        """`make down` when a sandbox of this checkout still runs; our own process killed as a last resort."""
        if self.sandbox_pid() is not None:
            self.run("make", "down")
        pid = self.sandbox_pid()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checkout]:
    require_free_apiserver_port()
    root = copy_repository(REPO, tmp_path_factory.mktemp("main-job") / "repository")
    (port,) = free_ports(1)
    box = Checkout(root, newcomer_env(port), f"http://127.0.0.1:{port}")
    try:
        yield box
    finally:
        box.stop()


def version_of(url: str) -> requests.Response:
    # The sandbox's load balancers serve a self-signed certificate.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
        return requests.get(url + "/version", verify=False, timeout=10)


def sample_lines(block: str) -> list[str]:
    """The README's sample output, minus what varies (the namespaces' ages) and elisions."""
    return [
        line.rstrip()
        for line in block.splitlines()
        if line.strip() not in ("", "...") and not re.search(r"\sActive\s+\d+s$", line)
    ]


def test_the_main_job_as_a_newcomer_runs_it(checkout: Checkout, tmp_path: Path) -> None:
    # The README's set-up block: `make up` here; `make test` is this suite itself.
    setup = readme_commands("setup")
    assert setup == ["make up", "make test"]
    first = checkout.run(*setup[0].split())
    assert first.returncode == 0, first.stdout
    assert (checkout.root / ".venv" / "bin" / "python").exists()  # made by make up itself
    output_lines = [line.rstrip() for line in first.stdout.splitlines()]
    for line in sample_lines(readme_block("make-up-output")):
        assert line in output_lines, (
            f"README's sample line {line!r} is not what make up prints:\n{first.stdout}"
        )

    # Real kubectl lists the namespaces through 6443 with the kubeconfig make up wrote.
    kubeconfig = checkout.root / ".state" / "kubeconfig-local"
    assert "server: https://127.0.0.1:6443" in kubeconfig.read_text()
    kubectl = subprocess.run(
        ["kubectl", "--kubeconfig", str(kubeconfig), "--token", "any", "get", "namespaces"],
        env={**checkout.env, "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert kubectl.returncode == 0, kubectl.stderr
    assert {"default", "kube-system", "kube-public"} <= set(kubectl.stdout.split())

    # A second cluster, via Edge-LB on 6444, as a user adds it to Pulumi.local.yaml.
    stack_file = checkout.root / "Pulumi.local.yaml"
    text = stack_file.read_text()
    assert text.count(CLUSTERS_OF_LOCAL) == 1, text
    entry = "".join(
        [
            f"    - name: {SECOND['name']}\n",
            f"      via: {SECOND['via']}\n",
            f"      port: {SECOND['port']}\n",
            f"      publicHost: {SECOND['publicHost']}\n",
        ]
    )
    stack_file.write_text(text.replace(CLUSTERS_OF_LOCAL, CLUSTERS_OF_LOCAL + entry))
    second = checkout.run("make", "up")
    assert second.returncode == 0, second.stdout
    assert "https://127.0.0.1:6444/version answers" in second.stdout
    answer = version_of("https://127.0.0.1:6444")
    assert answer.status_code == 200 and "gitVersion" in answer.json(), answer.text
    installed = {c["name"]: c for c in checkout.api("/_localdcos/clusters")}
    assert installed["dev/kubernetes01"]["installed"] and installed["kubernetes-cluster"]["installed"]

    # The plain CLI after `eval "$(scripts/env)"`: nothing to change, no warning (neither the
    # engine's PATH warning nor a missing target service), the first cluster's URL.
    preview = checkout.bash('eval "$(scripts/env)"; pulumi preview --stack local --expect-no-changes')
    assert preview.returncode == 0, preview.stdout
    assert PATH_WARNING not in preview.stdout and "warning:" not in preview.stdout, preview.stdout
    url = checkout.bash('eval "$(scripts/env)" 2>/dev/null; pulumi stack output url --stack local')
    assert url.returncode == 0, url.stdout
    assert url.stdout.strip().splitlines()[-1] == "https://127.0.0.1:6443", url.stdout

    # The README's sandbox block, verbatim.
    controls = checkout.bash(readme_block("sandbox-controls"))
    assert controls.returncode == 0, controls.stdout
    assert "dev/kubernetes01: installed" in controls.stdout
    assert '"enabled":true' in controls.stdout.replace(" ", ""), controls.stdout

    # The README's plain-CLI block, verbatim; its prompts answered yes, as a user at the terminal.
    cli = checkout.bash(readme_block("plain-cli"), extra_env={"PULUMI_OPTION_YES": "true"})
    assert cli.returncode == 0, cli.stdout
    assert PATH_WARNING not in cli.stdout
    assert "https://127.0.0.1:6443" in cli.stdout.splitlines()
    apps = [a["id"] for a in checkout.api("/service/marathon/v2/apps")["apps"]]
    assert "/marathon-lb-kubernetes-cluster" not in apps, apps  # the block ends with `pulumi destroy`
    assert checkout.api("/service/edgelb/v2/pools") == []

    # make down stops the sandbox and everything it started.
    pid = checkout.sandbox_pid()
    assert pid is not None
    started = descendants(pid)
    assert len(started) > 1, "the sandbox runs no HAProxy or API server"
    down = checkout.run("make", "down")
    assert down.returncode == 0, down.stdout
    deadline = time.monotonic() + 10
    while any(alive(p) for p in started) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in started if alive(p)], "make down left processes of the sandbox running"
    assert processes_mentioning(str(checkout.root)) == []
    for port in (6443, 6444, int(checkout.env["LOCALDCOS_PORT"])):
        assert not listening(port), f"something still listens on {port} after make down"


def test_make_up_fails_naming_the_cluster_whose_port_does_not_answer(checkout: Checkout) -> None:
    """Without real HAProxy (`LOCALDCOS_ARGS=` set but empty: no extra flags) nothing serves 6443."""
    try:
        result = checkout.run("make", "up", extra_env={"LOCALDCOS_ARGS": "", "PROBE_SECONDS": "3"})
        assert result.returncode != 0, result.stdout
        assert re.search(
            r"^make up: cluster kubernetes-cluster: https://127\.0\.0\.1:6443/version did not answer "
            r"within 3s \(.+\); see \.state/localdcos\.log$",
            result.stdout,
            re.MULTILINE,
        ), result.stdout
        assert "without real HAProxy" in result.stdout
        # The hints work as printed, from the repository root.
        lines = result.stdout.splitlines()
        status = lines[lines.index("make up: what the sandbox's load balancers run and check:") + 1]
        answer = checkout.bash(status.strip())
        assert answer.returncode == 0 and '"enabled":false' in answer.stdout, answer.stdout
        listing = lines[lines.index("make up: the clusters the sandbox has:") + 1]
        answer = checkout.bash(listing.strip())
        assert answer.returncode == 0 and "kubernetes-cluster: installed" in answer.stdout, answer.stdout
    finally:
        down = checkout.run("make", "down")
    assert down.returncode == 0, down.stdout
    assert checkout.sandbox_pid() is None
