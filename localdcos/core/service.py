"""The contract between the sandbox core and each emulated DC/OS service.

The core (localdcos.core, mounted by localdcos.server) owns what sits in front of every service on a
real cluster (Admin Router's auth, the request log, persistence, the control API); each service
package owns its own routes and state and knows nothing of the others' internals.
"""

from __future__ import annotations

from typing import Any, Protocol

from fastapi import APIRouter


class EmulatedService(Protocol):
    """One emulated DC/OS service, mounted by the core under its Admin Router prefix."""

    #: Key of this service's section in the state file.
    name: str
    #: Admin Router prefix, e.g. "/service/marathon".
    prefix: str

    def router(self) -> APIRouter: ...

    def snapshot(self) -> dict[str, Any]:
        """JSON-serializable state, written to the state file after every write request."""
        ...

    def restore(self, data: dict[str, Any]) -> None:
        """Load what snapshot() returned (on start with --state-file)."""
        ...


class SandboxExtension(Protocol):
    """A sandbox part next to the services, such as the emulated Marathon-LB: on DC/OS it is not
    behind Admin Router, so its routes need no token; it sees every service request; it lives as
    long as the app."""

    #: Where its router is mounted.
    prefix: str

    def router(self) -> APIRouter: ...

    async def observe(self) -> None:
        """Called on the event loop under the core lock before (and after writing) requests, and
        every `haproxy_poll_seconds`: the one safe moment to read service state."""
        ...

    def start(self) -> None: ...

    def stop(self) -> None:
        """Blocking, bounded; called off the event loop at shutdown."""
        ...
