"""The few helpers more than one service needs: timestamps, digests, versions, the apiserver VIP name,
URLs and atomic file writes. Nothing here knows about any one service."""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import os
import re
from pathlib import Path

#: DC/OS's L4LB (Minuteman) names end in this.
VIP_SUFFIX = ".l4lb.thisdcos.directory"
#: The sandbox's one public agent: where Marathon's tasks and the load balancers run (Mesos lists
#: it next to the agents of the kubernetes-cluster tasks).
PUBLIC_AGENT_ID = "6a0e4a4e-6c6c-4c4a-9d8e-6c6f63616c64-S0"
PUBLIC_AGENT_HOST = "127.0.0.1"
#: The (only) master, and the name the cluster goes by (`cluster` in Mesos' state).
MASTER_HOST = "127.0.0.1"
CLUSTER_NAME = "localdcos"


def iso(ts: float) -> str:
    """`ts` as DC/OS services write times: UTC, millisecond precision (`2024-01-02T03:04:05.678Z`)."""
    moment = datetime.datetime.fromtimestamp(ts, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def version_tuple(version: str) -> tuple[int, ...]:
    """`"1.14.2"`, `"v1.5.1"`, `"1.10.6-rc1"` -> the first three numbers, for comparisons."""
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def apiserver_vip(cluster: str) -> str:
    """The L4LB name DC/OS gives a cluster's apiserver: the service name without its slashes."""
    return f"apiserver.{cluster.replace('/', '')}{VIP_SUFFIX}"


def url_host(host: str) -> str:
    """`host` as it stands in a URL: IPv6 literals in brackets."""
    try:
        if ipaddress.ip_address(host).version == 6:
            return f"[{host}]"
    except ValueError:
        pass
    return host


def write_atomically(path: Path, data: str | bytes, *, mode: int | None = None) -> None:
    """Replace `path` with `data` in one step (a reader never sees half a file; a new inode, so a
    bind mount of the old file keeps what it had). `mode` is set before the file appears."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    raw = data.encode() if isinstance(data, str) else data
    # Created with its final mode: a private file (a key, the state) is never readable by others.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666 if mode is None else mode)
    with os.fdopen(fd, "wb") as file:
        if mode is not None:
            os.fchmod(file.fileno(), mode)  # os.open's mode is masked by the umask
        file.write(raw)
    os.replace(tmp, path)
