"""Pulumi dynamic provider for the DC/OS APIs that expose a Kubernetes cluster's API server."""

from .marathon_app import MarathonApp, MarathonAppProvider
from .marathon_model import MarathonAppDefinition

__all__ = ["MarathonApp", "MarathonAppDefinition", "MarathonAppProvider"]
