"""`KubernetesApiExposure` under Pulumi mocks: children, names, types, parents, outputs, early refusal."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pytest
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks

from components import ExposureInputError, KubernetesApiExposure, KubernetesApiExposureArgs
from components.derivations import edge_lb_pool, marathon_app_definition
from components.kubernetes_api_exposure import TYPE_TOKEN
from components.validation import validate_exposure

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


class DcosMocks(Mocks):
    """Answers like the dynamic providers would after a create."""

    def __init__(self) -> None:
        self.registered: list[MockResourceArgs] = []

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.registered.append(args)
        state = {k: v for k, v in args.inputs.items() if k != "__provider"}
        if args.typ.endswith(":MarathonApp"):
            app_id = state["definition"]["id"]
            return app_id, {**state, "app_id": app_id, "version": "2024-01-01T00:00:00Z", "deployment_id": ""}
        if args.typ.endswith(":EdgeLBPool"):
            name = state["pool"]["name"]
            return name, {**state, "pool_name": name, "state": "RUNNING", "last_change": ""}
        return None, {}

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


@pytest.fixture
def engine() -> tuple[DcosMocks, MockMonitor]:
    mocks = DcosMocks()
    monitor = MockMonitor(mocks)
    pulumi.runtime.set_mocks(
        mocks, project="dcos-kubernetes-api", stack="test", preview=False, monitor=monitor
    )
    return mocks, monitor


def run(program: Callable[[], Mapping[str, pulumi.Output[Any]]]) -> dict[str, Any]:
    """Run `program` under the mocks and return its outputs, resolved."""
    resolved: dict[str, Any] = {}

    def body() -> pulumi.Output[None]:
        return pulumi.Output.all(**program()).apply(resolved.update)

    pulumi.runtime.test(body)()  # type: ignore[no-untyped-call]
    return resolved


def outputs_of(exposure: KubernetesApiExposure) -> dict[str, pulumi.Output[Any]]:
    return {
        "cluster_name": exposure.cluster_name,
        "via": exposure.via,
        "url": exposure.url,
        "vip_host": exposure.vip_host,
        "app_id": exposure.app_id,
        "pool_name": exposure.pool_name,
        "kubeconfig": exposure.kubeconfig,
        "kubeconfig_is_secret": pulumi.Output.from_input(exposure.kubeconfig.is_secret()),
        "frontend_self_signed": exposure.frontend_self_signed,
        "tls_note": exposure.tls_note,
    }


def urn_types(monitor: MockMonitor) -> dict[str, str]:
    """resource name → `<parent type>$<type>` from its URN (the mock monitor keeps one parent level)."""
    return {urn.split("::")[-1]: urn.split("::")[2] for urn in monitor.get_registered_resources()}


def test_marathon_lb_child_names_parent_and_outputs(engine: tuple[DcosMocks, MockMonitor]) -> None:
    mocks, monitor = engine
    args: KubernetesApiExposureArgs = {
        "cluster_name": "kubernetes-cluster",
        "via": "marathon-lb",
        "public_host": "127.0.0.1",
        "adopt": True,
        "wait_timeout_seconds": 60,
    }
    out = run(lambda: outputs_of(KubernetesApiExposure("kubernetes-cluster", args)))

    assert urn_types(monitor) == {
        "kubernetes-cluster": f"pulumi:pulumi:Stack${TYPE_TOKEN}",
        "kubernetes-cluster-marathon-app": f"{TYPE_TOKEN}$pulumi-python:dynamic/dcos:MarathonApp",
    }
    app = next(r for r in mocks.registered if r.custom)
    assert app.inputs["definition"] == marathon_app_definition(
        validate_exposure({"cluster_name": "kubernetes-cluster"})
    )
    assert app.inputs["adopt"] is True
    assert app.inputs["wait_timeout_seconds"] == 60
    assert out["app_id"] == "/marathon-lb-kubernetes-cluster"
    assert out["pool_name"] is None
    assert out["via"] == "marathon-lb"
    assert out["cluster_name"] == "kubernetes-cluster"
    assert out["url"] == "https://127.0.0.1:6443"
    assert out["vip_host"] == "apiserver.kubernetes-cluster.l4lb.thisdcos.directory"
    assert out["frontend_self_signed"] is True
    assert "insecure-skip-tls-verify: true" in out["kubeconfig"]
    assert out["kubeconfig"].startswith("# TLS verification is skipped")
    assert "self-signed" in out["tls_note"]
    assert out["kubeconfig_is_secret"] is False


def test_edge_lb_child(engine: tuple[DcosMocks, MockMonitor]) -> None:
    mocks, monitor = engine
    args: KubernetesApiExposureArgs = {"cluster_name": "dev/kubernetes01", "via": "edge-lb", "port": 7443}
    out = run(lambda: outputs_of(KubernetesApiExposure("dev-kubernetes01", args)))

    assert urn_types(monitor) == {
        "dev-kubernetes01": f"pulumi:pulumi:Stack${TYPE_TOKEN}",
        "dev-kubernetes01-edgelb-pool": f"{TYPE_TOKEN}$pulumi-python:dynamic/dcos:EdgeLBPool",
    }
    pool = next(r for r in mocks.registered if r.custom)
    expected = edge_lb_pool(
        validate_exposure({"cluster_name": "dev/kubernetes01", "via": "edge-lb", "port": 7443})
    )
    assert pool.inputs["pool"] == expected
    assert pool.inputs["adopt"] is False
    assert pool.inputs["wait_timeout_seconds"] == 300
    assert out["pool_name"] == "edgelb-dev-kubernetes01"
    assert out["app_id"] is None
    assert out["via"] == "edge-lb"
    assert out["vip_host"] == "apiserver.devkubernetes01.l4lb.thisdcos.directory"
    # No public host: no URL a client could use, hence no kubeconfig.
    assert out["url"] is None
    assert out["kubeconfig"] is None


def test_token_makes_kubeconfig_secret_and_ca_replaces_insecure(
    engine: tuple[DcosMocks, MockMonitor],
) -> None:
    args: KubernetesApiExposureArgs = {
        "cluster_name": "kubernetes-cluster",
        "public_host": "k8s.example.com",
        "frontend_ca_pem": PEM,
        "kubeconfig_token": pulumi.Output.secret("abc.def"),
    }
    out = run(lambda: outputs_of(KubernetesApiExposure("k", args)))
    assert out["kubeconfig_is_secret"] is True
    assert "certificate-authority-data" in out["kubeconfig"]
    assert "insecure-skip-tls-verify" not in out["kubeconfig"]
    assert "token: abc.def" in out["kubeconfig"]


def test_signed_certificate_uses_system_trust(engine: tuple[DcosMocks, MockMonitor]) -> None:
    args: KubernetesApiExposureArgs = {
        "cluster_name": "k8s",
        "via": "edge-lb",
        "public_host": "k8s.example.com",
        "certificate_secret": "k8s/tls",
    }
    out = run(lambda: outputs_of(KubernetesApiExposure("k8s", args)))
    assert out["frontend_self_signed"] is False
    assert "insecure-skip-tls-verify" not in out["kubeconfig"]
    assert "system trust store" in out["tls_note"]


def test_output_inputs_are_validated_and_used(engine: tuple[DcosMocks, MockMonitor]) -> None:
    mocks, _ = engine
    args: KubernetesApiExposureArgs = {
        "cluster_name": pulumi.Output.from_input("dev/kubernetes01"),
        "port": pulumi.Output.from_input(7443),
    }
    out = run(lambda: outputs_of(KubernetesApiExposure("dev", args)))
    assert out["app_id"] == "/marathon-lb-dev-kubernetes01"
    app = next(r for r in mocks.registered if r.custom)
    assert app.inputs["definition"]["labels"]["HAPROXY_0_PORT"] == "7443"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"cluster_name": "Dev/K8s"}, "cluster_name"),
        ({"cluster_name": "k8s", "via": "nginx"}, "via"),
        ({"cluster_name": "k8s", "port": 9091}, "port"),
        ({"cluster_name": "k8s", "haproxy_group": "external\n  bind *:1"}, "haproxy_group"),
        ({"cluster_name": "k8s", "via": "edge-lb", "stats_port": 6443}, "stats_port"),
        ({"cluster_name": "k8s", "kubeconfig_token": "a b"}, "kubeconfig_token"),
        ({"cluster_name": "k8s", "frontend_ca_pem": "nope"}, "frontend_ca_pem"),
        ({"cluster_name": "k8s", "colour": "red"}, "colour"),
        ({"cluster_name": "k8s", "via": pulumi.Output.from_input("edge-lb")}, "via"),
    ],
)
def test_bad_plain_input_raises_before_anything_registers(
    engine: tuple[DcosMocks, MockMonitor], args: dict[str, Any], field: str
) -> None:
    mocks, monitor = engine

    def program() -> dict[str, pulumi.Output[Any]]:
        with pytest.raises(ExposureInputError) as caught:
            KubernetesApiExposure("bad", args)  # type: ignore[arg-type]
        assert caught.value.field == field
        assert str(caught.value).startswith(f"{field}: ")
        return {}

    run(program)
    assert mocks.registered == []
    assert monitor.get_registered_resources() == {}


def test_bad_output_input_fails_inside_apply(engine: tuple[DcosMocks, MockMonitor]) -> None:
    mocks, _ = engine
    args: KubernetesApiExposureArgs = {"cluster_name": pulumi.Output.from_input("Not_Valid")}
    # The SDK re-raises the apply's error as a ValueError naming the input it was resolving.
    with pytest.raises(ValueError, match=r"cluster_name: must be lowercase"):
        run(lambda: {"vip_host": KubernetesApiExposure("late", args).vip_host})
    # The child was declared, but its definition never resolved: nothing reached the provider.
    assert all(not r.custom for r in mocks.registered)
