"""The peer, MaibornWolff's dcos-deploy 0.4.0, in its own virtualenv under the user's cache.

Its pins are from 2020 (pystache 0.5.4 no longer builds, cryptography 3.2.1 has no wheel for
today's Python), so it is installed without its dependencies, then with versions of them that work
with it on this interpreter. It reads the cluster from DCOS_BASE_URL and DCOS_AUTH_TOKEN.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

VERSION = "0.4.0"
#: What dcos-deploy imports, at versions that run with it (click 8 changed its option handling;
#: minio 7 dropped the error classes it imports; PyJWT 2 changed `encode`'s return type).
DEPENDENCIES = (
    "click==7.1.2",
    "pystache==0.6.5",
    "PyYAML==6.0.2",
    "requests==2.32.3",
    "minio==6.0.0",
    "cryptography==43.0.3",
    "PyJWT==1.7.1",
    "oyaml==1.0",
    "colorama==0.4.6",
)


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "dcos-kubernetes-api-bench"


def install() -> Path:
    """The `dcos-deploy` executable, installed on first use (complete once its marker is written)."""
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    venv = root / f"dcos-deploy-{VERSION}"
    executable = venv / "bin" / "dcos-deploy"
    with (root / "install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (venv / ".installed").exists():
            return executable
        shutil.rmtree(venv, ignore_errors=True)
        print(f"bench: installing dcos-deploy {VERSION} into {venv}", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, "--no-deps", f"dcos-deploy=={VERSION}"], check=True)
        subprocess.run([*pip, *DEPENDENCIES], check=True)
        (venv / ".installed").write_text(" ".join(DEPENDENCIES) + "\n")
    return executable


def environment(url: str, token: str, home: Path) -> dict[str, str]:
    """Its environment: the sandbox by URL and token, a HOME without any dcos CLI cluster config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DCOS_", "PULUMI_", "VIRTUAL_ENV"))}
    env.update(
        {"DCOS_BASE_URL": url, "DCOS_AUTH_TOKEN": token, "HOME": str(home), "PYTHONWARNINGS": "ignore"}
    )
    return env
