"""check() asks Mesos whether the targeted DC/OS service runs: a warning naming it, or a failure
with require_target_service; an unreadable cluster is a warning, never a failure."""

from __future__ import annotations

import socket

from provider.marathon_app import MarathonAppProvider
from tests.faults.harness import edgelb, marathon, owner, pool_inputs, warnings
from tests.sandbox import Sandbox
from tests.seed_documents import seed_app


def check(provider: MarathonAppProvider, **inputs: object) -> dict[str, str]:
    result = provider.check({}, {"definition": seed_app(), "owner": owner(), **inputs})
    return {f.property: f.reason for f in result.failures}


def test_an_installed_cluster_passes_quietly(sandbox: Sandbox) -> None:
    provider = marathon(sandbox.url, sandbox.admin_token())
    with warnings() as said:
        assert check(provider, target_service="kubernetes-cluster") == {}
    assert said == []


def test_a_missing_cluster_warns_or_fails_when_required(sandbox: Sandbox) -> None:
    provider = marathon(sandbox.url, sandbox.admin_token())
    with warnings() as said:
        assert check(provider, target_service="dev/kubernetes01") == {}
    assert len(said) == 1 and "'dev/kubernetes01'" in said[0] and "kube-control-plane" in said[0]
    failures = check(provider, target_service="dev/kubernetes01", require_target_service=True)
    assert "dev/kubernetes01" in failures["target_service"]
    pools = edgelb(sandbox.url, sandbox.admin_token())
    with warnings() as said:
        pool_inputs(pools, target_service="dev/kubernetes01")
    assert "Edge-LB pool" in said[0]


def test_mesos_is_read_once_per_process(sandbox: Sandbox) -> None:
    provider = marathon(sandbox.url, sandbox.admin_token())
    sandbox.clear_requests()
    with warnings():
        for _ in range(3):
            check(provider, target_service="dev/kubernetes01")
    assert [r["path"] for r in sandbox.requests()].count("/mesos/master/state") == 1


def test_an_unreadable_cluster_is_a_warning() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    provider = marathon(f"http://127.0.0.1:{port}", "t")
    with warnings() as said:
        assert check(provider, target_service="kubernetes-cluster", require_target_service=True) == {}
    assert len(said) == 1 and "cannot read the cluster" in said[0]


def test_reserved_marker_keys_and_bad_targets_are_refused_without_a_call() -> None:
    provider = marathon("http://127.0.0.1:9", "t")
    app = seed_app()
    app["labels"]["PULUMI_OWNER"] = "me"
    result = provider.check({}, {"definition": app, "owner": "no-hash", "target_service": "/dev/k"})
    found = {f.property for f in result.failures}
    assert found == {"definition.labels.PULUMI_OWNER", "owner", "target_service"}
