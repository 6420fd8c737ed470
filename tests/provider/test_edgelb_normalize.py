"""Edge-LB's defaults in one place: a pool read back equals the declared pool."""

import copy
from typing import Any

from provider.edgelb_model import canonical
from provider.edgelb_normalize import change_kind, differs, live_view
from tests.seed_documents import seed_pool

SEED_POOL: dict[str, Any] = seed_pool()


def live_seed_pool() -> dict[str, Any]:
    """The seed pool as Edge-LB answers a GET (§3.6): defaults at every level."""
    pool = canonical(copy.deepcopy(SEED_POOL))
    pool["packageVersion"] = "v1.5.1"
    pool["cpus"] = 0.9
    return pool


def test_read_back_pool_shows_no_difference() -> None:
    live = live_seed_pool()
    assert live["namespace"] == "dcos-edgelb/pools" and live["mem"] == 992
    assert live["haproxy"]["backends"][0]["rewriteHttp"]["request"]["forwardfor"] is True
    assert live["haproxy"]["backends"][0]["services"][0]["endpoint"]["type"] == "AUTO_IP"
    assert live_view(SEED_POOL, live) == SEED_POOL
    assert not differs(SEED_POOL, live)


def test_one_nested_change_shows_as_that_field() -> None:
    live = live_seed_pool()
    live["haproxy"]["stats"]["bindAddress"] = "127.0.0.1"
    view = live_view(SEED_POOL, live)
    assert view["haproxy"]["stats"] == {"bindPort": 6090, "bindAddress": "127.0.0.1"}
    assert view["haproxy"]["frontends"] == SEED_POOL["haproxy"]["frontends"]


def test_change_kinds() -> None:
    assert change_kind(SEED_POOL, {**SEED_POOL, "count": 2}) == "relaunch"
    changed = copy.deepcopy(SEED_POOL)
    changed["haproxy"]["stats"]["bindAddress"] = "127.0.0.1"
    assert change_kind(SEED_POOL, changed) == "reload"
    assert change_kind(SEED_POOL, copy.deepcopy(SEED_POOL)) == "none"
    # Without explicit `ports`, the pool reserves its bind ports: moving one relaunches the tasks.
    moved = copy.deepcopy(SEED_POOL)
    moved["haproxy"]["stats"]["bindPort"] = 6091
    assert change_kind(SEED_POOL, moved) == "relaunch"


def test_engine_floats_compare_equal_to_json_integers() -> None:
    """The engine hands every number over as a float (6443.0); Edge-LB answers integers."""
    as_floats = copy.deepcopy(SEED_POOL)
    as_floats["count"] = 1.0
    as_floats["haproxy"]["frontends"][0]["bindPort"] = 6443.0
    assert not differs(as_floats, live_seed_pool())


def test_redirect_to_https_defaults_in_the_one_place() -> None:
    pool = copy.deepcopy(SEED_POOL)
    pool["haproxy"]["frontends"].append(
        {
            "bindPort": 80,
            "protocol": "HTTP",
            "redirectToHttps": {},
            "linkBackend": {"defaultBackend": "kubernetes-cluster"},
        }
    )
    live = canonical(pool)
    assert live["haproxy"]["frontends"][1]["redirectToHttps"] == {"except": []}
    assert not differs(pool, live)


def test_the_owner_marker_is_sent_but_never_shown_as_drift() -> None:
    live = live_seed_pool()
    live["environmentVariables"] = {"PULUMI_OWNER": "organization/p/dev#pool"}
    assert live_view(SEED_POOL, live) == SEED_POOL
    # Writing the marker changes environment variables: the pool's tasks relaunch.
    assert change_kind(live_seed_pool(), live) == "relaunch"
