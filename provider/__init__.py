"""Pulumi dynamic provider for the DC/OS APIs that expose a Kubernetes cluster's API server."""

from .edgelb_model import EdgeLBPoolDefinition
from .edgelb_pool import EdgeLBPool, EdgeLBPoolProvider
from .marathon_app import MarathonApp, MarathonAppProvider
from .marathon_model import MarathonAppDefinition

__all__ = [
    "EdgeLBPool",
    "EdgeLBPoolDefinition",
    "EdgeLBPoolProvider",
    "MarathonApp",
    "MarathonAppDefinition",
    "MarathonAppProvider",
]
