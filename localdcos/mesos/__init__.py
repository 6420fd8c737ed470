"""The emulated Mesos master: the registry of frameworks and tasks that Edge-LB pools select from."""

from localdcos.mesos.api import Mesos
from localdcos.mesos.model import NETWORK_SCOPE_LABEL, DiscoveryPort, TaskView

__all__ = ["NETWORK_SCOPE_LABEL", "DiscoveryPort", "Mesos", "TaskView"]
