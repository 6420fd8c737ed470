"""Pulumi components exposing the Kubernetes API of DC/OS kubernetes-cluster services."""

from .args import KubernetesApiExposureArgs
from .balancers import BALANCERS, ExposureModel, balancer_for, validate_exposure
from .kubernetes_api_exposure import ExposureInputs, KubernetesApiExposure, validate_args
from .settings import Exposure, ExposureInputError

__all__ = [
    "BALANCERS",
    "Exposure",
    "ExposureInputError",
    "ExposureInputs",
    "ExposureModel",
    "KubernetesApiExposure",
    "KubernetesApiExposureArgs",
    "balancer_for",
    "validate_args",
    "validate_exposure",
]
