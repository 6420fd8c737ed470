"""Pulumi components exposing the Kubernetes API of DC/OS kubernetes-cluster services."""

from .kubernetes_api_exposure import KubernetesApiExposure, KubernetesApiExposureArgs
from .validation import ExposureInputError

__all__ = ["ExposureInputError", "KubernetesApiExposure", "KubernetesApiExposureArgs"]
