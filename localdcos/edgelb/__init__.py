"""Edge-LB V2 (`/service/edgelb`): the pool model and how bodies bind to it, Edge-LB's checks, the pool
schedulers' lifecycle and plans, the haproxy.cfg renderer, each pool task's sandbox, and the APIs."""

from localdcos.edgelb.api import EdgeLB
from localdcos.edgelb.sandbox import PoolSandboxes

__all__ = ["EdgeLB", "PoolSandboxes"]
