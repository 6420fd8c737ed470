"""The seed's three documents (tests/seed/*.json), against what the load balancer modules emit.

(i)  `seed_compatible=True` reproduces each document exactly.
(ii) With the defaults, every field and value of the seed is present and equal, except the named
     differences below; each difference has its own test named after the defect it fixes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from components import balancer_for, validate_exposure
from tests.seed_documents import seed_document

SEED_MLB_NONE = {"cluster_name": "kubernetes-cluster", "via": "marathon-lb", "backend_tls": "none"}
SEED_MLB_VERIFY = {"cluster_name": "kubernetes-cluster", "via": "marathon-lb", "backend_tls": "verify"}
SEED_EDGE_LB = {"cluster_name": "kubernetes-cluster", "via": "edge-lb"}

CASES: list[tuple[str, Mapping[str, object]]] = [
    ("marathon-lb-verify-none", SEED_MLB_NONE),
    ("marathon-lb-verify-required", SEED_MLB_VERIFY),
    ("edge-lb-pool", SEED_EDGE_LB),
]

LABELS = "/labels"
SERVER_OPTIONS = f"{LABELS}/HAPROXY_0_BACKEND_SERVER_OPTIONS"

# Every path (JSON pointer) where the default documents differ from the seed, and why.
MARATHON_LB_DIFFERENCES = {
    f"{LABELS}/HAPROXY_0_MODE": "(b) tcp mode keeps the app out of MLB's plain-HTTP 9091 frontend",
    f"{LABELS}/HAPROXY_0_FRONTEND_HEAD": "(a) timeout client belongs in the frontend",
    SERVER_OPTIONS: "(a) no backend timeout client; (c) {serverName} instead of a fixed server name",
}
EDGE_LB_DIFFERENCES = {
    "/haproxy/stats/bindAddress": "(e) stats private by default",
    "/haproxy/frontends/0/miscStrs": "(e) timeout client for long kubectl streams",
    "/haproxy/backends/0/miscStrs": "(e) timeout server/tunnel for long kubectl streams",
}


def golden(name: str) -> dict[str, Any]:
    return seed_document(name)


def emitted(values: Mapping[str, object], *, seed_compatible: bool = False) -> dict[str, Any]:
    spec = validate_exposure(values)
    return balancer_for(spec.via).derive(spec, seed_compatible=seed_compatible)


def flatten(value: object, path: str = "") -> Mapping[str, object]:
    """JSON pointer → leaf value (lists and dicts descended; empty containers kept as leaves)."""
    if isinstance(value, dict) and value:
        return {k: v for key, item in value.items() for k, v in flatten(item, f"{path}/{key}").items()}
    if isinstance(value, list) and value:
        return {k: v for i, item in enumerate(value) for k, v in flatten(item, f"{path}/{i}").items()}
    return {path: value}


def differing_paths(seed: dict[str, Any], emitted: dict[str, Any]) -> set[str]:
    """Paths of the seed that are missing or changed, plus paths we add (reported at their top)."""
    flat_seed, flat_emitted = flatten(seed), flatten(emitted)
    changed = {p for p, v in flat_seed.items() if flat_emitted.get(p, object()) != v}
    added = {p for p in flat_emitted if p not in flat_seed}
    known = {*MARATHON_LB_DIFFERENCES, *EDGE_LB_DIFFERENCES}
    # An added list/dict shows up as several leaves: report it by the named path that contains it.
    return changed | {next((k for k in known if p == k or p.startswith(k + "/")), p) for p in added}


@pytest.mark.parametrize(("golden_name", "values"), CASES, ids=[c[0] for c in CASES])
def test_seed_compatible_reproduces_seed_exactly(golden_name: str, values: Mapping[str, object]) -> None:
    document = emitted(values, seed_compatible=True)
    assert document == golden(golden_name)
    # Byte-for-byte as JSON too (same key order as the seed).
    assert json.dumps(document, indent=2) == json.dumps(golden(golden_name), indent=2)


@pytest.mark.parametrize(("golden_name", "values"), CASES, ids=[c[0] for c in CASES])
def test_defaults_differ_from_seed_only_where_named(golden_name: str, values: Mapping[str, object]) -> None:
    expected = EDGE_LB_DIFFERENCES if values["via"] == "edge-lb" else MARATHON_LB_DIFFERENCES
    assert differing_paths(golden(golden_name), emitted(values)) == set(expected)


# --- one test per difference ------------------------------------------------------------------------


def mlb_default(values: Mapping[str, object] = SEED_MLB_NONE) -> dict[str, Any]:
    return emitted(values)


def server_options_lines(values: Mapping[str, object] = SEED_MLB_NONE) -> list[str]:
    lines: list[str] = mlb_default(values)["labels"]["HAPROXY_0_BACKEND_SERVER_OPTIONS"].splitlines()
    return lines


def test_defect_a_backend_timeout_client_moved_to_frontend_head() -> None:
    seed_lines = golden("marathon-lb-verify-none")["labels"]["HAPROXY_0_BACKEND_SERVER_OPTIONS"].splitlines()
    assert "  timeout client 86400s" in seed_lines
    assert "  timeout client 86400s" not in server_options_lines()
    head = mlb_default()["labels"]["HAPROXY_0_FRONTEND_HEAD"]
    assert head.endswith("  mode {mode}\n  timeout client 86400s\n")
    # The other timeouts stay where the seed had them.
    for line in ("  timeout connect 10s", "  timeout server 86400s", "  timeout tunnel 86400s"):
        assert line in server_options_lines()


def test_defect_b_http_mode_replaced_by_tcp() -> None:
    assert golden("marathon-lb-verify-none")["labels"]["HAPROXY_0_MODE"] == "http"
    assert mlb_default()["labels"]["HAPROXY_0_MODE"] == "tcp"
    # TLS is still terminated at the bind and re-encrypted to the apiserver.
    assert mlb_default()["labels"]["HAPROXY_0_SSL_CERT"] == "/etc/ssl/cert.pem"
    assert server_options_lines()[-1].endswith(" ssl verify none")


def test_defect_c_server_name_is_per_task_placeholder() -> None:
    for values, tls in ((SEED_MLB_NONE, "ssl verify none"), (SEED_MLB_VERIFY, "ssl verify required")):
        server = server_options_lines(values)[-1]
        assert server.startswith(
            "  server {serverName} apiserver.kubernetes-cluster.l4lb.thisdcos.directory:6443 "
        )
        assert tls in server
    assert (
        " server kubernetescluster "
        in golden("marathon-lb-verify-none")["labels"]["HAPROXY_0_BACKEND_SERVER_OPTIONS"]
    )


def test_defect_c_keeps_the_default_upgrade_strategy_for_a_restart_without_a_gap() -> None:
    # Two tasks during a restart are fine once server names are unique; killing first would leave
    # Marathon-LB without a running task and drop the frontend for the restart's duration.
    assert "upgradeStrategy" not in golden("marathon-lb-verify-none")
    assert "upgradeStrategy" not in mlb_default()
    assert mlb_default()["instances"] == 1


def test_verify_variant_keeps_seed_ca_file() -> None:
    assert server_options_lines(SEED_MLB_VERIFY)[-1].endswith(
        " ssl verify required ca-file /mnt/mesos/sandbox/.ssl/ca-bundle.crt"
    )


def test_defect_e_stats_bound_to_localhost() -> None:
    assert "bindAddress" not in golden("edge-lb-pool")["haproxy"]["stats"]
    assert emitted(SEED_EDGE_LB)["haproxy"]["stats"] == {
        "bindPort": 6090,
        "bindAddress": "127.0.0.1",
    }


def test_defect_e_frontend_timeout_client() -> None:
    frontend = emitted(SEED_EDGE_LB)["haproxy"]["frontends"][0]
    assert frontend["miscStrs"] == ["timeout client 86400s"]


def test_defect_e_backend_timeout_server_and_tunnel() -> None:
    backend = emitted(SEED_EDGE_LB)["haproxy"]["backends"][0]
    assert backend["miscStrs"] == ["timeout server 86400s", "timeout tunnel 86400s"]
