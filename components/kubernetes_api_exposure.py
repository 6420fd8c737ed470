"""`KubernetesApiExposure`: one DC/OS kubernetes-cluster's API server, exposed via Marathon-LB or Edge-LB.

Inputs are validated once, where they become known: plain Args before anything registers, Args
that are Outputs when they resolve, and the program's stack config before the component (it hands
over `ExposureInputs`, which the component does not check again).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any, Final

import pulumi

from .args import KubernetesApiExposureArgs
from .balancers import ExposureModel, balancer_for, validate_exposure
from .kubeconfig import KubeconfigSettings, render_kubeconfig, tls_note
from .load_balancer import LoadBalancer
from .names import exposure_url, flat_name, vip_host
from .settings import Exposure, ExposureInputError, Spelling, validate_settings

TYPE_TOKEN: Final = "dcos-kubernetes:index:KubernetesApiExposure"  # noqa: S105 (a type token, no credential)


@dataclass(frozen=True)
class ExposureInputs:
    """Validated inputs: the exposure, or an Output of one validated when it resolved, and the
    checked kubeconfig values. Build them with `validate_args` or from validated stack config."""

    via: str
    exposure: pulumi.Input[Exposure]
    frontend_ca_pem: pulumi.Input[str | None] = None
    kubeconfig_token: pulumi.Input[str | None] = None

    def __post_init__(self) -> None:
        # `via` picks the child before an Output exposure resolves; a known one must agree with it.
        if isinstance(self.exposure, Exposure) and self.exposure.via != self.via:
            raise ValueError(
                f"ExposureInputs: via {self.via!r} but the exposure is via {self.exposure.via!r}"
            )


EXPOSURE_ARGS: Final = frozenset(ExposureModel.model_fields)
KUBECONFIG_ARGS: Final = frozenset(KubeconfigSettings.model_fields)


def _is_plain(value: object) -> bool:
    if isinstance(value, pulumi.Output) or isawaitable(value):
        return False
    if isinstance(value, Mapping):
        return all(_is_plain(v) for v in value.values())
    if isinstance(value, Sequence) and not isinstance(value, str):
        return all(_is_plain(v) for v in value)
    return True


def _kubeconfig_value(args: Mapping[str, object], field: str) -> pulumi.Input[str | None]:
    value = args.get(field)
    if value is None:
        return None

    def check(resolved: object) -> str | None:
        checked: str | None = getattr(
            validate_settings(KubeconfigSettings, {field: resolved}, Spelling.ARGS), field
        )
        return checked

    if _is_plain(value):
        return check(value)
    # apply keeps the secret flag: a token Output stays secret.
    return pulumi.Output.from_input(value).apply(check)


def validate_args(args: Mapping[str, object]) -> ExposureInputs:
    """Check the Args once: now when they are plain, when they resolve when some are Outputs.

    Unknown keys and `via` are refused now in any case: they decide what gets registered.
    """
    unknown = sorted(set(args) - EXPOSURE_ARGS - KUBECONFIG_ARGS)
    if unknown:
        raise ExposureInputError(unknown[0], "is not a KubernetesApiExposure input")
    via = args.get("via", ExposureModel.model_fields["via"].default)
    if not _is_plain(via):
        raise ExposureInputError(
            "via", "must be a plain value, not an Output: it decides which child is created"
        )
    balancer_for(via)
    settings = {k: v for k, v in args.items() if k in EXPOSURE_ARGS}
    exposure: pulumi.Input[Exposure] = (
        validate_exposure(settings)
        if _is_plain(settings)
        else pulumi.Output.all(**settings).apply(validate_exposure)
    )
    return ExposureInputs(
        via=str(via),
        exposure=exposure,
        frontend_ca_pem=_kubeconfig_value(args, "frontend_ca_pem"),
        kubeconfig_token=_kubeconfig_value(args, "kubeconfig_token"),
    )


def _kubeconfig(
    balancer: LoadBalancer[Any], exposure: Exposure, ca_pem: str | None, token: str | None
) -> str | None:
    url = exposure_url(exposure.public_host, exposure.port)
    if url is None:
        return None
    return render_kubeconfig(
        name=flat_name(exposure.cluster_name),
        url=url,
        self_signed=balancer.self_signed(exposure),
        ca_pem=ca_pem,
        token=token,
    )


class KubernetesApiExposure(pulumi.ComponentResource):
    """A dummy Marathon app for Marathon-LB, or an Edge-LB pool, in front of the cluster's apiserver VIP."""

    cluster_name: pulumi.Output[str]
    via: pulumi.Output[str]
    url: pulumi.Output[str | None]
    vip_host: pulumi.Output[str]
    # The child's id (`/marathon-lb-...` app id, or pool name) and its export key (`appId`, `poolName`).
    child_id: pulumi.Output[str]
    id_output: str
    kubeconfig: pulumi.Output[str | None]
    frontend_self_signed: pulumi.Output[bool]
    tls_note: pulumi.Output[str]
    # Whether the child's preview fails (rather than warns) when the cluster is not installed.
    require_service: pulumi.Output[bool]

    def __init__(
        self,
        name: str,
        args: KubernetesApiExposureArgs | ExposureInputs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        inputs = args if isinstance(args, ExposureInputs) else validate_args(args)
        balancer = balancer_for(inputs.via)
        super().__init__(TYPE_TOKEN, name, None, opts)

        exposure = pulumi.Output.from_input(inputs.exposure)
        self.id_output = balancer.id_output
        self.child_id = balancer.create_child(
            name,
            exposure.apply(balancer.derive),
            {
                "adopt": exposure.apply(lambda e: e.adopt),
                "wait_timeout_seconds": exposure.apply(
                    lambda e: e.wait_timeout_seconds or balancer.default_wait_timeout_seconds
                ),
                "target_service": exposure.apply(lambda e: e.cluster_name),
                "require_target_service": exposure.apply(lambda e: e.require_service),
                "opts": pulumi.ResourceOptions(parent=self),
            },
        )
        self.cluster_name = exposure.apply(lambda e: e.cluster_name)
        self.via = pulumi.Output.from_input(balancer.via)
        self.vip_host = exposure.apply(lambda e: vip_host(e.cluster_name))
        self.url = exposure.apply(lambda e: exposure_url(e.public_host, e.port))
        self.frontend_self_signed = exposure.apply(balancer.self_signed)
        self.require_service = exposure.apply(lambda e: e.require_service)
        ca_pem = pulumi.Output.from_input(inputs.frontend_ca_pem)
        token = inputs.kubeconfig_token
        kubeconfig = pulumi.Output.all(exposure, ca_pem, token).apply(
            lambda v: _kubeconfig(balancer, v[0], v[1], v[2])
        )
        # The token makes the whole kubeconfig a credential.
        self.kubeconfig = pulumi.Output.secret(kubeconfig) if token is not None else kubeconfig
        self.tls_note = pulumi.Output.all(self.frontend_self_signed, ca_pem).apply(
            lambda v: tls_note(self_signed=v[0], ca_pem=v[1])
        )
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "via": self.via,
                "url": self.url,
                "vip_host": self.vip_host,
                "child_id": self.child_id,
                "kubeconfig": self.kubeconfig,
                "frontend_self_signed": self.frontend_self_signed,
                "tls_note": self.tls_note,
                "require_service": self.require_service,
            }
        )
