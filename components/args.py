"""The component's Args: generated from the settings models by `python -m components.generate`,
do not edit (a test fails when this file is stale).

Each key is a field of `ExposureModel` or `KubeconfigSettings` in its Python spelling, any of
them an Output except `via`, which picks the child resource.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Required, TypedDict

import pulumi


class KubernetesApiExposureArgs(TypedDict, total=False):
    """Inputs of `KubernetesApiExposure`; defaults and rules are the models'."""

    # --- every load balancer
    # The DC/OS service name of the `kubernetes-cluster` package, e.g. `dev/kubernetes01` (no leading `/`).
    cluster_name: Required[pulumi.Input[str]]
    # The load balancer: `marathon-lb` (a dummy Marathon app whose `HAPROXY_*` labels drive Marathon-LB) or
    # `edge-lb` (an Edge-LB V2 pool).
    via: str
    # The public port HAProxy serves the API server on.
    port: pulumi.Input[int]
    # A public agent's DNS name or IPv4 address; with it the outputs include `url` and a kubeconfig.
    public_host: pulumi.Input[str]
    # HAProxy `timeout client` of the frontend: one day, so idle `kubectl logs -f` and `exec` streams stay
    # open.
    client_timeout: pulumi.Input[str]
    # HAProxy `timeout server` of the backend.
    server_timeout: pulumi.Input[str]
    # HAProxy `timeout tunnel` of the backend (upgraded `exec`/watch streams).
    tunnel_timeout: pulumi.Input[str]
    # Take over an app or pool with the same id that already exists on the cluster; without it `pulumi up`
    # refuses to overwrite it.
    adopt: pulumi.Input[bool]
    # How long create and update wait for the deployment or the pool, in seconds (default: the resource's
    # own, 300 for the Marathon app and 600 for the Edge-LB pool).
    wait_timeout_seconds: pulumi.Input[float]
    # Fail the preview instead of warning when the targeted DC/OS service (Mesos framework `<name>` with a
    # running kube-control-plane task) is not installed.
    require_service: pulumi.Input[bool]

    # --- marathon-lb
    # `HAPROXY_GROUP`: the Marathon-LB instances (`--group`) that serve the app, comma-separated; the
    # package's default group is `external`.
    haproxy_group: pulumi.Input[str]
    # The certificate file inside the Marathon-LB container for the frontend; the default is its self-signed
    # one, so the kubeconfig skips verification unless `frontendCaPem` is set.
    ssl_cert: pulumi.Input[str]
    # `none`: TLS to the apiserver without checking its certificate; `verify`: checked against `caFile`
    # (DC/OS Enterprise). Edge-LB supports `none` only.
    backend_tls: pulumi.Input[str]
    # The CA bundle `backendTls: verify` checks the apiserver against (the DC/OS Enterprise CA in every task
    # sandbox).
    ca_file: pulumi.Input[str]
    # HAProxy `timeout connect` to the apiserver.
    connect_timeout: pulumi.Input[str]
    # `host:port` to forward to instead of the apiserver VIP `apiserver.<name without
    # />.l4lb.thisdcos.directory:6443`. Refused with Edge-LB, which selects the kube-control-plane tasks by
    # framework name.
    apiserver_address: pulumi.Input[str]

    # --- edge-lb
    # The pool's name; default `edgelb-<name with / as ->`. Set it when the cluster name contains `.` (pool
    # names may not).
    pool_name: pulumi.Input[str]
    # How many HAProxy instances the pool runs (one per public agent: hostname:UNIQUE).
    count: pulumi.Input[int]
    # The frontend's certificates: `$AUTOCERT` (self-signed, the default without `certificateSecret`),
    # `$SECRETS/<file>` or `$ENVFILE/<file>`.
    certificates: pulumi.Input[Sequence[pulumi.Input[str]]]
    # A DC/OS secret holding a signed certificate and key (PEM); the frontend then serves
    # `$SECRETS/<certificateSecretFile>` instead of `$AUTOCERT`.
    certificate_secret: pulumi.Input[str]
    # The file name Edge-LB writes `certificateSecret` to inside the pool.
    certificate_secret_file: pulumi.Input[str]
    # The HAProxy stats port, reserved on the agent (Edge-LB's own 9090 would clash with Marathon-LB's).
    stats_port: pulumi.Input[int]
    # Where the stats page listens; Edge-LB's own default is every address.
    stats_bind_address: pulumi.Input[str]

    # --- the kubeconfig only
    # PEM of the CA that signed the frontend certificate: the kubeconfig then verifies it instead of
    # skipping verification for a self-signed certificate.
    frontend_ca_pem: pulumi.Input[str]
    # A Kubernetes bearer token for the kubeconfig's user; it makes the kubeconfig a secret output.
    kubeconfig_token: pulumi.Input[str]
