"""`KubernetesApiExposure` under Pulumi mocks: children, names, types, parents, outputs, early refusal."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from pulumi.runtime.mocks import MockMonitor

from components import (
    ExposureInputError,
    ExposureInputs,
    ExposureModel,
    KubernetesApiExposure,
    KubernetesApiExposureArgs,
    balancer_for,
    validate_exposure,
)
from components.kubeconfig import KubeconfigSettings
from components.kubernetes_api_exposure import TYPE_TOKEN
from tests.components.helpers import PEM, DcosMocks, count_validations, run, urn_types


def outputs_of(exposure: KubernetesApiExposure) -> dict[str, pulumi.Output[Any]]:
    return {
        "cluster_name": exposure.cluster_name,
        "via": exposure.via,
        "url": exposure.url,
        "vip_host": exposure.vip_host,
        "child_id": exposure.child_id,
        "kubeconfig": exposure.kubeconfig,
        "kubeconfig_is_secret": pulumi.Output.from_input(exposure.kubeconfig.is_secret()),
        "frontend_self_signed": exposure.frontend_self_signed,
        "tls_note": exposure.tls_note,
        "require_service": exposure.require_service,
    }


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
    (app,) = mocks.children()
    assert app.inputs["definition"] == balancer_for("marathon-lb").derive(
        validate_exposure({"cluster_name": "kubernetes-cluster"})
    )
    assert app.inputs["adopt"] is True
    assert app.inputs["wait_timeout_seconds"] == 60
    assert out["child_id"] == "/marathon-lb-kubernetes-cluster"
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
    (pool,) = mocks.children()
    expected = balancer_for("edge-lb").derive(
        validate_exposure({"cluster_name": "dev/kubernetes01", "via": "edge-lb", "port": 7443})
    )
    assert pool.inputs["pool"] == expected
    assert pool.inputs["adopt"] is False
    # Not the Marathon app's 300 s: the pool keeps its own default wait.
    assert pool.inputs["wait_timeout_seconds"] == 600
    assert out["child_id"] == "edgelb-dev-kubernetes01"
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
    assert out["child_id"] == "/marathon-lb-dev-kubernetes01"
    (app,) = mocks.children()
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


def test_a_secret_frontend_ca_does_not_make_the_child_secret(engine: tuple[DcosMocks, MockMonitor]) -> None:
    mocks, _ = engine
    args: KubernetesApiExposureArgs = {
        "cluster_name": "k8s",
        "public_host": "127.0.0.1",
        "frontend_ca_pem": pulumi.Output.secret(PEM),
    }
    out = run(lambda: {**outputs_of(KubernetesApiExposure("k8s", args))})
    assert "certificate-authority-data" in out["kubeconfig"]
    (app,) = mocks.children()
    assert isinstance(app.inputs["definition"], dict)  # a secret would arrive wrapped
    assert app.inputs["definition"]["id"] == "/marathon-lb-k8s"


def test_the_child_checks_its_cluster_and_require_service_makes_it_fail(
    engine: tuple[DcosMocks, MockMonitor],
) -> None:
    mocks, _ = engine
    args: KubernetesApiExposureArgs = {"cluster_name": "dev/k8s", "require_service": True}
    out = run(lambda: outputs_of(KubernetesApiExposure("dev-k8s", args)))
    assert out["require_service"] is True
    (app,) = mocks.children()
    assert app.inputs["target_service"] == "dev/k8s"
    assert app.inputs["require_target_service"] is True
    assert "require_service" not in app.inputs
    default = run(lambda: outputs_of(KubernetesApiExposure("k9s", {"cluster_name": "k9s", "via": "edge-lb"})))
    assert default["require_service"] is False
    pool = mocks.children()[-1]
    assert (pool.inputs["target_service"], pool.inputs["require_target_service"]) == ("k9s", False)


def test_plain_args_are_validated_once(
    engine: tuple[DcosMocks, MockMonitor], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = count_validations(monkeypatch)
    run(lambda: outputs_of(KubernetesApiExposure("k8s", {"cluster_name": "k8s", "public_host": "h"})))
    assert len(calls) == 1


def test_output_args_are_validated_once_when_resolved(
    engine: tuple[DcosMocks, MockMonitor], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = count_validations(monkeypatch)
    args: KubernetesApiExposureArgs = {"cluster_name": pulumi.Output.from_input("k8s"), "port": 7443}
    run(lambda: outputs_of(KubernetesApiExposure("k8s", args)))
    assert calls == [{"cluster_name": "k8s", "port": 7443}]


def test_validated_inputs_are_not_checked_again(
    engine: tuple[DcosMocks, MockMonitor], monkeypatch: pytest.MonkeyPatch
) -> None:
    mocks, _ = engine
    spec = validate_exposure({"cluster_name": "k8s", "via": "edge-lb"})
    calls = count_validations(monkeypatch)
    out = run(lambda: outputs_of(KubernetesApiExposure("k8s", ExposureInputs("edge-lb", spec))))
    assert calls == []
    assert out["child_id"] == "edgelb-k8s"
    assert [r.typ for r in mocks.children()] == ["pulumi-python:dynamic/dcos:EdgeLBPool"]


def test_validated_inputs_must_agree_on_via() -> None:
    with pytest.raises(ValueError, match="via 'marathon-lb' but the exposure is via 'edge-lb'"):
        ExposureInputs("marathon-lb", validate_exposure({"cluster_name": "k8s", "via": "edge-lb"}))


# --- the Args and the models stay one declaration -------------------------------------------------


def test_args_are_the_model_fields() -> None:
    """components/args.py is generated (test_generate checks it is current); this checks the generator."""
    declared = {
        name: getattr(hint, "__forward_arg__", hint)
        for name, hint in KubernetesApiExposureArgs.__annotations__.items()
    }
    assert set(declared) == {*ExposureModel.model_fields, *KubeconfigSettings.model_fields}
    assert declared["cluster_name"] == "Required[pulumi.Input[str]]"
    assert declared["via"] == "str"  # plain: it decides which child is declared
    assert declared["port"] == "pulumi.Input[int]"
    assert declared["certificates"] == "pulumi.Input[Sequence[pulumi.Input[str]]]"
    assert declared["backend_tls"] == "pulumi.Input[str]"
