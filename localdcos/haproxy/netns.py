"""A DC/OS agent's view of the filesystem for HAProxy, without touching the host's.

The configs under test name things only a DC/OS node has: the apiserver VIP
`apiserver.<cluster>.l4lb.thisdcos.directory`, Marathon-LB's `/etc/ssl/cert.pem`, the DC/OS CA
bundle `/mnt/mesos/sandbox/.ssl/ca-bundle.crt`, and in an Edge-LB pool's container its stats socket
and server-state file under /var. Rewriting them in the config would test something else, so every
HAProxy (and every `haproxy -c`) runs through a generated wrapper that enters a private mount
namespace and bind-mounts sandbox-owned copies over those paths:

    unshare --mount --propagation private <wrapper> --inside haproxy ...   (as root)
    unshare --user --map-root-user --mount --propagation private ...       (otherwise)
      mount --bind <root>/hosts   /etc/hosts   host entries + every cluster's VIP -> its loopback IP
      mount --bind <root>/etc-ssl /etc/ssl     copy of the host's /etc/ssl plus cert.pem
      mount --bind <root>/mnt     /mnt         mesos/sandbox/.ssl/ca-bundle.crt (the sandbox CA)
      mount --bind $LOCALDCOS_CONTAINER_VAR /var   only when set: that task container's own /var
      exec haproxy ...

The mounts die with the namespace. When neither unshare works the wrapper is not used and HAProxy
sees the host as it is (`mode == "none"`, `note` says why): VIP names then do not resolve.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import threading
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Literal

from localdcos.common import apiserver_vip, write_atomically
from localdcos.pki import self_signed_pem

MLB_CERT = PurePosixPath("/etc/ssl/cert.pem")
CA_BUNDLE = PurePosixPath("/mnt/mesos/sandbox/.ssl/ca-bundle.crt")
#: Set in a command's environment, the directory the wrapper mounts over /var for it.
CONTAINER_VAR_ENV = "LOCALDCOS_CONTAINER_VAR"
_VAR = PurePosixPath("/var")
_COVERED = (PurePosixPath("/etc/ssl"), PurePosixPath("/mnt"))
_PROBE_TIMEOUT = 10.0

Mode = Literal["root", "user", "none"]
_UNSHARE_FLAGS: dict[Mode, tuple[str, ...]] = {
    "root": ("--mount", "--propagation", "private"),
    # Mount namespaces need CAP_SYS_ADMIN; an unprivileged user gets it inside its own user namespace.
    "user": ("--user", "--map-root-user", "--mount", "--propagation", "private"),
}


class ClusterAddresses:
    """A loopback address per cluster, stable for the life of the sandbox.

    Cluster k (in order of first appearance) gets 127.0.(100+k).1; its further control planes take
    .2, .3, ... of the same /24, so no two clusters ever share an address.
    """

    FIRST_OCTET = 100

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_cluster: dict[str, str] = {}

    def address(self, cluster: str) -> str:
        cluster = cluster.strip("/")
        with self._lock:
            found = self._by_cluster.get(cluster)
            if found is None:
                third = self.FIRST_OCTET + len(self._by_cluster)
                if third > 255:
                    raise ValueError("no loopback /24 left for another cluster")
                found = self._by_cluster[cluster] = f"127.0.{third}.1"
            return found

    def hosts(self, clusters: list[str]) -> dict[str, str]:
        """VIP hostname -> address for `clusters`."""
        return {apiserver_vip(c): self.address(c) for c in clusters}


class NodeNamespace:
    """The wrapper script and the files it mounts, all under `root` (a sandbox-owned directory)."""

    def __init__(self, root: Path, *, ca_bundle_pem: bytes) -> None:
        root = root.resolve()
        for covered in _COVERED:
            if PurePosixPath(root).is_relative_to(covered):
                raise ValueError(f"{root} lies under {covered}, which the namespace covers")
        self.root = root
        self._lock = threading.Lock()
        self._hosts: dict[str, str] | None = None
        self._host_entries = _read_text(Path("/etc/hosts"))
        self._prepare_files(ca_bundle_pem)
        self.mode: Mode = "none"
        self.note = ""
        self._probe()

    @property
    def wrapper(self) -> Path:
        return self.root / "node-exec"

    @property
    def hosts_file(self) -> Path:
        return self.root / "hosts"

    @property
    def mlb_cert(self) -> str:
        """Where HAProxy finds Marathon-LB's default certificate (outside a namespace: our copy)."""
        return str(MLB_CERT) if self.mode != "none" else str(self.root / "etc-ssl" / MLB_CERT.name)

    def _prepare_files(self, ca_bundle_pem: bytes) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        ssl = self.root / "etc-ssl"
        if not ssl.exists():
            try:
                # A copy keeps openssl.cnf and certs/ where OpenSSL looks for them.
                shutil.copytree("/etc/ssl", ssl, symlinks=True, ignore_dangling_symlinks=True)
            except FileNotFoundError:
                ssl.mkdir()
            except shutil.Error:
                pass  # e.g. private/ unreadable for a non-root user: what was copied is enough
        write_atomically(ssl / MLB_CERT.name, self_signed_pem("*"))
        bundle = self.root / "mnt" / CA_BUNDLE.relative_to("/mnt")
        bundle.parent.mkdir(parents=True, exist_ok=True)
        bundle.write_bytes(ca_bundle_pem)
        self.set_hosts({})

    def _write_wrapper(self, mode: Mode) -> None:
        root = shlex.quote(str(self.root))
        flags = " ".join(_UNSHARE_FLAGS[mode]) if mode != "none" else ""
        script = f"""#!/bin/sh
# Generated by localdcos (see localdcos/haproxy/netns.py): run "$@" with a DC/OS agent's /etc/hosts,
# /etc/ssl and /mnt, in a private mount namespace that nothing on the host can see.
set -eu
if [ "${{1:-}}" != --inside ]; then
  exec unshare {flags} -- "$0" --inside "$@"
fi
shift
mount --bind {root}/hosts /etc/hosts
mount --bind {root}/etc-ssl /etc/ssl
mount --bind {root}/mnt /mnt
if [ -n "${{{CONTAINER_VAR_ENV}:-}}" ]; then
  mount --bind "${CONTAINER_VAR_ENV}" /var
fi
exec "$@"
"""
        write_atomically(self.wrapper, script, mode=0o755)

    def _probe(self) -> None:
        """Pick the first unshare variant under which the mounts really happen."""
        if shutil.which("unshare") is None:
            self.note = "unshare (util-linux) is not installed"
            return
        modes: list[Mode] = ["root", "user"] if os.geteuid() == 0 else ["user"]
        notes = []
        for mode in modes:
            self._write_wrapper(mode)
            probe = [str(self.wrapper), "test", "-s", str(CA_BUNDLE)]
            try:
                proc = subprocess.run(
                    probe, capture_output=True, text=True, timeout=_PROBE_TIMEOUT, check=False
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                notes.append(f"{mode}: {exc}")
                continue
            if proc.returncode == 0:
                self.mode = mode
                return
            notes.append(f"{mode}: {(proc.stderr or proc.stdout).strip() or f'exit {proc.returncode}'}")
        self.wrapper.unlink(missing_ok=True)
        self.note = "no private mount namespace: " + "; ".join(notes)

    @property
    def mounts_var(self) -> bool:
        """Whether a command can get a container /var of its own (see `container_env`); not
        without a namespace, nor when the sandbox's own files lie under /var and would vanish."""
        return self.mode != "none" and not PurePosixPath(self.root).is_relative_to(_VAR)

    def container_env(self, var_dir: Path) -> dict[str, str]:
        """Environment that makes `var_dir` the /var of a command (a load balancer task's
        container, with its stats socket and server-state file), where `mounts_var`."""
        return {CONTAINER_VAR_ENV: str(var_dir)} if self.mounts_var else {}

    def command(self, *argv: str) -> list[str]:
        """`argv` as run inside the namespace (as is when there is none)."""
        if self.mode == "none":
            return list(argv)
        return [str(self.wrapper), *argv]

    @property
    def hosts(self) -> dict[str, str]:
        """The VIP names (hostname -> IP) commands started now resolve."""
        with self._lock:
            return dict(self._hosts or {})

    def set_hosts(self, names: Mapping[str, str]) -> None:
        """Make `names` (hostname -> IP) resolvable for every command started from now on."""
        with self._lock:
            if self._hosts == dict(names):
                return
            lines = [self._host_entries.rstrip("\n"), "", "# localdcos: DC/OS VIP names"]
            lines += [f"{ip}\t{name}" for name, ip in sorted(names.items())]
            # A new inode: namespaces already running keep the file they mounted.
            write_atomically(self.hosts_file, "\n".join(lines).lstrip("\n") + "\n", mode=0o644)
            self._hosts = dict(names)


def _read_text(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return "127.0.0.1\tlocalhost\n"
