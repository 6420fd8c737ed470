"""The sandbox core: what sits in front of every emulated service (Admin Router's paths and error
pages, the request log, persistence, the control API) and the contract the services follow."""

from localdcos.core.options import SandboxOptions
from localdcos.core.service import EmulatedService, SandboxExtension

__all__ = ["EmulatedService", "SandboxExtension", "SandboxOptions"]
