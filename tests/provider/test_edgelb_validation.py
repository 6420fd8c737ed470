"""Pool checks: Edge-LB's rules and the traps it leaves to the pool tasks, field by field."""

import copy
from typing import Any

import pytest
from pulumi.output import Unknown

from provider.edgelb_validation import pool_problems
from tests.seed_documents import seed_pool


def unknown() -> Unknown:
    return Unknown()  # type: ignore[no-untyped-call]


SEED_POOL: dict[str, Any] = seed_pool()


def seed(**changes: Any) -> dict[str, Any]:
    pool = copy.deepcopy(SEED_POOL)
    pool.update(changes)
    return pool


def found(pool: dict[str, Any]) -> dict[str, str]:
    return dict(pool_problems(pool))


def test_seed_pool_is_valid() -> None:
    assert pool_problems(SEED_POOL) == []


@pytest.mark.parametrize("name", ["Edge", "edge_lb", "-edge", "edge-", "a" * 48])
def test_pool_names(name: str) -> None:
    assert "pool.name" in found(seed(name=name))


def test_framework_name_with_leading_slash() -> None:
    pool = seed()
    pool["haproxy"]["backends"][0]["services"][0]["mesos"]["frameworkName"] = "/dev/kubernetes01"
    assert "leading slash" in found(pool)["pool.haproxy.backends[0].services[0].mesos.frameworkName"]


def test_stats_port_clashing_with_a_frontend_or_marathon_lb() -> None:
    pool = seed()
    pool["haproxy"]["stats"]["bindPort"] = 6443
    assert "duplicate bindPort: 6443" in found(pool)["pool.haproxy.stats.bindPort"]
    del pool["haproxy"]["stats"]
    assert "Marathon-LB" in found(pool)["pool.haproxy.stats.bindPort"]


def test_bind_port_is_required_and_in_range() -> None:
    pool = seed()
    del pool["haproxy"]["frontends"][0]["bindPort"]
    assert "invalid bindPort: -1" in found(pool)["pool.haproxy.frontends[0].bindPort"]
    pool["haproxy"]["frontends"][0]["bindPort"] = 70000
    assert "invalid bindPort: 70000" in found(pool)["pool.haproxy.frontends[0].bindPort"]


def test_unlinked_and_missing_backends() -> None:
    pool = seed()
    pool["haproxy"]["frontends"][0]["linkBackend"]["defaultBackend"] = "other"
    problems = found(pool)
    assert "nonexistent backends: other" in problems["pool.haproxy.frontends"]
    assert "do not refer to these backends: kubernetes-cluster" in problems["pool.haproxy.backends"]


def test_https_needs_certificates_and_autocert_needs_auto_certificate() -> None:
    pool = seed(autoCertificate=False)
    assert "autoCertificate" in found(pool)["pool.haproxy.frontends[0].certificates"]
    pool["haproxy"]["frontends"][0]["certificates"] = []
    assert "non-empty" in found(pool)["pool.haproxy.frontends[0].certificates"]
    pool["haproxy"]["frontends"][0]["certificates"] = ["/etc/cert.pem"]
    assert "$AUTOCERT" in found(pool)["pool.haproxy.frontends[0].certificates"]


def test_protocol_enum_and_selectors() -> None:
    pool = seed()
    pool["haproxy"]["backends"][0]["protocol"] = "SMTP"
    pool["haproxy"]["backends"][0]["services"][0] = {"endpoint": {}}
    problems = found(pool)
    assert "pool.haproxy.backends[0].protocol" in problems
    pool["haproxy"]["backends"][0]["protocol"] = "HTTPS"
    problems = found(pool)
    assert "marathon or server.mesos" in problems["pool.haproxy.backends[0].services[0]"]
    assert "portName" in problems["pool.haproxy.backends[0].services[0].endpoint"]


def test_unknowns_are_not_judged() -> None:
    assert pool_problems(seed(name=unknown())) == []


def test_a_wholly_unknown_pool_waits_for_apply() -> None:
    assert pool_problems(unknown()) == []
