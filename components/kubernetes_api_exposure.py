"""`KubernetesApiExposure`: one DC/OS kubernetes-cluster's API server, exposed via Marathon-LB or Edge-LB."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from inspect import isawaitable
from typing import Any, Final, Required, TypedDict

import pulumi

from provider import EdgeLBPool, MarathonApp

from .derivations import edge_lb_pool, frontend_certificate_is_self_signed, marathon_app_definition
from .kubeconfig import render_kubeconfig, tls_note
from .names import exposure_url, flat_name, vip_host
from .spec import DEFAULT_WAIT_TIMEOUT_SECONDS, SPEC_FIELDS, VIA_MARATHON_LB, ExposureSpec, Via
from .validation import (
    ExposureInputError,
    check_frontend_ca_pem,
    check_kubeconfig_token,
    parse_via,
    validate_exposure,
)

TYPE_TOKEN: Final = "dcos-kubernetes:index:KubernetesApiExposure"  # noqa: S105 (a type token, no credential)


class KubernetesApiExposureArgs(TypedDict, total=False):
    """Inputs; defaults are those of `ExposureSpec`. `via` must be a plain value (it picks the child)."""

    cluster_name: Required[pulumi.Input[str]]
    via: pulumi.Input[str]
    port: pulumi.Input[int]
    # Marathon-LB
    haproxy_group: pulumi.Input[str]
    ssl_cert: pulumi.Input[str]
    backend_tls: pulumi.Input[str]
    ca_file: pulumi.Input[str]
    connect_timeout: pulumi.Input[str]
    client_timeout: pulumi.Input[str]
    server_timeout: pulumi.Input[str]
    tunnel_timeout: pulumi.Input[str]
    # Edge-LB
    pool_name: pulumi.Input[str]
    count: pulumi.Input[int]
    certificates: pulumi.Input[Sequence[pulumi.Input[str]]]
    certificate_secret: pulumi.Input[str]
    certificate_secret_file: pulumi.Input[str]
    stats_port: pulumi.Input[int]
    stats_bind_address: pulumi.Input[str]
    # common
    apiserver_address: pulumi.Input[str]
    public_host: pulumi.Input[str]
    frontend_ca_pem: pulumi.Input[str]
    kubeconfig_token: pulumi.Input[str]
    adopt: pulumi.Input[bool]
    wait_timeout_seconds: pulumi.Input[float]


_KUBECONFIG_FIELDS: Final = frozenset({"frontend_ca_pem", "kubeconfig_token"})
_CHILD_FIELDS: Final = frozenset({"adopt", "wait_timeout_seconds"})


def _is_plain(value: object) -> bool:
    if isinstance(value, pulumi.Output) or isawaitable(value):
        return False
    if isinstance(value, Mapping):
        return all(_is_plain(v) for v in value.values())
    if isinstance(value, Sequence) and not isinstance(value, str):
        return all(_is_plain(v) for v in value)
    return True


def _plain_via(args: Mapping[str, object]) -> Via:
    via = args.get("via")
    if via is None:
        return VIA_MARATHON_LB
    if not _is_plain(via):
        raise ExposureInputError(
            "via", "must be a plain value, not an Output: it decides which child is created"
        )
    return parse_via(via)


def _validate_plain_inputs(args: Mapping[str, object]) -> None:
    """Fail before anything registers when the inputs are known now; Outputs are checked in `apply`."""
    unknown = sorted(set(args) - SPEC_FIELDS - _KUBECONFIG_FIELDS - _CHILD_FIELDS)
    if unknown:
        raise ExposureInputError(unknown[0], "is not a KubernetesApiExposure input")
    spec_inputs = {k: v for k, v in args.items() if k in SPEC_FIELDS}
    if _is_plain(spec_inputs):
        validate_exposure(spec_inputs)
    ca_pem, token = args.get("frontend_ca_pem"), args.get("kubeconfig_token")
    if _is_plain(ca_pem):
        check_frontend_ca_pem(ca_pem)
    if _is_plain(token):
        check_kubeconfig_token(token)


def _kubeconfig(spec: ExposureSpec, ca_pem: object, token: object) -> str | None:
    url = exposure_url(spec)
    checked_ca, checked_token = check_frontend_ca_pem(ca_pem), check_kubeconfig_token(token)
    if url is None:
        return None
    return render_kubeconfig(
        name=flat_name(spec.cluster_name),
        url=url,
        self_signed=frontend_certificate_is_self_signed(spec),
        ca_pem=checked_ca,
        token=checked_token,
    )


class KubernetesApiExposure(pulumi.ComponentResource):
    """A dummy Marathon app for Marathon-LB, or an Edge-LB pool, in front of the cluster's apiserver VIP."""

    cluster_name: pulumi.Output[str]
    via: pulumi.Output[str]
    url: pulumi.Output[str | None]
    vip_host: pulumi.Output[str]
    app_id: pulumi.Output[str | None]
    pool_name: pulumi.Output[str | None]
    kubeconfig: pulumi.Output[str | None]
    frontend_self_signed: pulumi.Output[bool]
    tls_note: pulumi.Output[str]

    def __init__(
        self, name: str, args: KubernetesApiExposureArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        raw: Mapping[str, Any] = args
        via = _plain_via(raw)
        _validate_plain_inputs(raw)
        super().__init__(TYPE_TOKEN, name, None, opts)

        spec_inputs = {k: v for k, v in raw.items() if k in SPEC_FIELDS}
        spec = pulumi.Output.all(**spec_inputs).apply(validate_exposure)
        child_opts = pulumi.ResourceOptions(parent=self)
        adopt = args.get("adopt", False)
        wait = args.get("wait_timeout_seconds", DEFAULT_WAIT_TIMEOUT_SECONDS)

        self.app_id = pulumi.Output.from_input(None)
        self.pool_name = pulumi.Output.from_input(None)
        if via == VIA_MARATHON_LB:
            app = MarathonApp(
                f"{name}-marathon-app",
                definition=spec.apply(marathon_app_definition),
                adopt=adopt,
                wait_timeout_seconds=wait,
                opts=child_opts,
            )
            self.app_id = app.app_id
        else:
            pool = EdgeLBPool(
                f"{name}-edgelb-pool",
                pool=spec.apply(edge_lb_pool),
                adopt=adopt,
                wait_timeout_seconds=wait,
                opts=child_opts,
            )
            self.pool_name = pool.pool_name

        self.cluster_name = spec.apply(lambda s: s.cluster_name)
        self.via = pulumi.Output.from_input(via)
        self.vip_host = spec.apply(lambda s: vip_host(s.cluster_name))
        self.url = spec.apply(exposure_url)
        ca_pem = args.get("frontend_ca_pem")
        token = args.get("kubeconfig_token")
        kubeconfig = pulumi.Output.all(spec, ca_pem, token).apply(lambda v: _kubeconfig(v[0], v[1], v[2]))
        # The token makes the whole kubeconfig a credential.
        self.kubeconfig = pulumi.Output.secret(kubeconfig) if token is not None else kubeconfig
        self.frontend_self_signed = spec.apply(frontend_certificate_is_self_signed)
        self.tls_note = pulumi.Output.all(self.frontend_self_signed, ca_pem).apply(
            lambda v: tls_note(self_signed=v[0], ca_pem=v[1])
        )
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "via": self.via,
                "url": self.url,
                "vip_host": self.vip_host,
                "app_id": self.app_id,
                "pool_name": self.pool_name,
                "kubeconfig": self.kubeconfig,
                "frontend_self_signed": self.frontend_self_signed,
                "tls_note": self.tls_note,
            }
        )
