"""What the Admin Router layer and the control API act on: the services, the extensions next to
them, the request log, the lock around all service state and the state file."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localdcos.common import write_atomically
from localdcos.core.options import SandboxOptions
from localdcos.core.service import EmulatedService, SandboxExtension
from localdcos.iam import IAM

log = logging.getLogger("localdcos")

CA_PATH = "/ca/dcos-ca.crt"
CONTROL_PREFIX = "/_localdcos"


@dataclass
class Core:
    """Everything the Admin Router layer and the control API act on."""

    options: SandboxOptions
    iam: IAM
    services: list[EmulatedService]
    ca_pem: bytes = b""
    state_file: Path | None = None
    request_log: list[dict[str, Any]] = field(default_factory=list)
    # Parts next to the services (emulated Marathon-LB, --haproxy); see SandboxExtension.
    extensions: list[SandboxExtension] = field(default_factory=list)
    # One lock around all service state: requests to services, their persistence and the control
    # API run one at a time, so a snapshot never sees a half-done write.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def mounted_prefixes(self) -> list[str]:
        """Every path prefix something answers under; elsewhere Admin Router's nginx has no location."""
        prefixes = [CA_PATH, CONTROL_PREFIX, *(e.prefix for e in self.extensions)]
        for service in self.services:
            for attr in ("prefix", "control_prefix", "scheduler_prefix"):
                prefix = getattr(service, attr, None)
                if isinstance(prefix, str):
                    prefixes.append(prefix)
        return prefixes

    def service_roots(self) -> set[str]:
        """`/service/<name>` for every mounted service (what Admin Router can resolve)."""
        roots = set()
        for service in self.services:
            for attr in ("prefix", "scheduler_prefix"):
                prefix = getattr(service, attr, None)
                if isinstance(prefix, str) and prefix.startswith("/service/"):
                    roots.add("/".join(prefix.split("/")[:3]))
        return roots

    def is_extension_path(self, path: str) -> bool:
        return any(path == e.prefix or path.startswith(e.prefix + "/") for e in self.extensions)

    async def observe(self) -> None:
        """Let the extensions look at the services; call with `lock` held."""
        for extension in self.extensions:
            try:
                await extension.observe()
            except Exception:  # an observer's bug must not fail the request that triggered it
                log.exception("%s: observe failed", type(extension).__name__)

    def snapshot(self) -> dict[str, Any]:
        return {service.name: service.snapshot() for service in self.services}

    def persist(self) -> None:
        if self.state_file is None:
            return
        # It holds the IAM signing key and passwords.
        write_atomically(self.state_file, json.dumps(self.snapshot(), sort_keys=True), mode=0o600)

    def load(self) -> None:
        if self.state_file is None or not self.state_file.exists():
            return
        text = self.state_file.read_text()
        if not text.strip():
            return
        data = json.loads(text)
        for service in self.services:
            if isinstance(data.get(service.name), dict):
                service.restore(data[service.name])
