"""What the Admin Router layer and the control API act on: the services, the extensions next to
them, the request log, the lock around all service state and the state file."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
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
LOGIN_PATH = "/acs/api/v1/auth/login"
SERVICE_PREFIX = "/service/"
#: Where the gateway leaves the service name it resolved a `/service/...` request to (ASGI scope).
SERVICE_SCOPE_KEY = "localdcos.service"
#: The request log keeps this many entries (oldest dropped first).
REQUEST_LOG_SIZE = 10_000
# Admin Router tries at most this many leading path segments as a service name.
_RESOLVE_LIMIT = 10


def is_control_path(path: str) -> bool:
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")


@dataclass
class Core:
    """Everything the Admin Router layer and the control API act on."""

    options: SandboxOptions
    iam: IAM
    services: list[EmulatedService]
    ca_pem: bytes = b""
    state_file: Path | None = None
    request_log: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=REQUEST_LOG_SIZE))
    # Parts next to the services (emulated Marathon-LB, --haproxy); see SandboxExtension.
    extensions: list[SandboxExtension] = field(default_factory=list)
    # One lock around all service state: requests to services, their persistence and the control
    # API run one at a time, so a snapshot never sees a half-done write.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def mounted_prefixes(self) -> list[str]:
        """Every path prefix something answers under; elsewhere Admin Router's nginx has no location."""
        prefixes = [CA_PATH, CONTROL_PREFIX, *(e.prefix for e in self.extensions)]
        for service in self.services:
            for attr in ("prefix", "control_prefix"):
                prefix = getattr(service, attr, None)
                if isinstance(prefix, str):
                    prefixes.append(prefix)
        return prefixes

    def service_names(self) -> set[str]:
        """The DC/OS service names Admin Router can resolve right now: the services mounted under
        `/service/<name>` and those a service registers while it runs (pool schedulers)."""
        names = set()
        for service in self.services:
            prefix = getattr(service, "prefix", None)
            if isinstance(prefix, str) and prefix.startswith(SERVICE_PREFIX):
                names.add(prefix.removeprefix(SERVICE_PREFIX))
            dynamic = getattr(service, "service_names", None)
            if callable(dynamic):
                names.update(dynamic())
        return names

    def resolve_service(self, path: str) -> str | None:
        """The service a `/service/...` path reaches, as Admin Router's recursive resolve finds it:
        the shortest run of leading segments that names a known service."""
        segments = path.removeprefix(SERVICE_PREFIX).split("/")
        names = self.service_names()
        for count in range(1, min(len(segments), _RESOLVE_LIMIT) + 1):
            candidate = "/".join(segments[:count])
            if candidate in names:
                return candidate
        return None

    def is_public_path(self, path: str) -> bool:
        """Whether Admin Router serves `path` without a token: login, the CA, what a service
        declares public (`public_paths`), and the parts next to the services that are not the
        sandbox's own control API."""
        if path in (LOGIN_PATH, CA_PATH):
            return True
        if any(path in getattr(service, "public_paths", ()) for service in self.services):
            return True
        return not is_control_path(path) and self.is_extension_path(path)

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
        # Stateless services (DC/OS's metadata endpoints) leave no section.
        sections = {service.name: service.snapshot() for service in self.services}
        return {name: section for name, section in sections.items() if section}

    def persist(self) -> None:
        if self.state_file is None:
            return
        # It holds the IAM signing key and passwords: created private (see write_atomically).
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
