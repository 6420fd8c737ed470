"""Marathon's defaults, normalized in one place: no spurious diffs, real drift visible."""

from typing import Any

from provider.marathon_normalize import app_defaults, canonical, differs, live_view, request_body
from tests.seed_documents import seed_app

SEED_APP: dict[str, Any] = seed_app()


def live_seed_app(**changes: Any) -> dict[str, Any]:
    """The seed app as Marathon 1.10 answers a GET: defaults filled, floats, assigned port."""
    app = {
        **SEED_APP,
        "mem": 16.0,
        "cpus": 0.001,
        "disk": 0.0,
        "gpus": 0,
        "backoffSeconds": 1,
        "backoffFactor": 1.15,
        "maxLaunchDelaySeconds": 300,
        "upgradeStrategy": {"minimumHealthCapacity": 1.0, "maximumOverCapacity": 1.0},
        "unreachableStrategy": {"inactiveAfterSeconds": 0, "expungeAfterSeconds": 0},
        "killSelection": "YOUNGEST_FIRST",
        "requirePorts": False,
        "executor": "",
        "networks": [{"mode": "host"}],
        "container": {"type": "MESOS", "volumes": []},
        "portDefinitions": [{"port": 10000, "protocol": "tcp"}],
        "role": "slave_public",
        "version": "2026-11-25T10:00:00.000Z",
        "versionInfo": {"lastScalingAt": "x", "lastConfigChangeAt": "x"},
        "tasksRunning": 1,
        "tasksStaged": 0,
        "tasksHealthy": 0,
        "tasksUnhealthy": 0,
        "tasks": [{"id": "t"}],
        "deployments": [],
    }
    app.update(changes)
    return app


def test_live_app_with_defaults_shows_no_difference() -> None:
    assert live_view(SEED_APP, live_seed_app(), "1.10.6") == SEED_APP
    assert not differs(SEED_APP, live_seed_app(), "1.10.6")


def test_changed_label_shows_as_that_field_only() -> None:
    live = live_seed_app(labels={"HAPROXY_GROUP": "internal", "HAPROXY_0_PORT": "6443"})
    view = live_view(SEED_APP, live, "1.10.6")
    assert {k for k in view if view[k] != SEED_APP.get(k)} == {"labels"}
    assert view["labels"]["HAPROXY_GROUP"] == "internal"


def test_field_set_out_of_band_is_drift_but_defaults_are_not() -> None:
    live = live_seed_app(env={"X": "1"})
    assert live_view(SEED_APP, live, "1.10.6")["env"] == {"X": "1"}
    assert differs(SEED_APP, live, "1.10.6")


def test_declared_field_removed_on_the_cluster_is_drift() -> None:
    live = live_seed_app()
    del live["cmd"]
    assert "cmd" not in live_view(SEED_APP, live, "1.10.6")


def test_explicit_port_must_match_while_port_zero_accepts_any() -> None:
    wanted = {**SEED_APP, "portDefinitions": [{"protocol": "tcp", "port": 10005}]}
    assert differs(wanted, live_seed_app(), "1.10.6")
    assert not differs(
        SEED_APP, live_seed_app(portDefinitions=[{"port": 10042, "protocol": "tcp"}]), "1.10.6"
    )


def test_max_launch_delay_default_depends_on_the_marathon_version() -> None:
    assert app_defaults("1.7.203")["maxLaunchDelaySeconds"] == 3600
    assert app_defaults("1.8.0")["maxLaunchDelaySeconds"] == 300
    assert "role" not in app_defaults("1.8.0")
    old = live_seed_app(maxLaunchDelaySeconds=3600)
    del old["role"]
    assert not differs(SEED_APP, old, "1.7.203")
    assert differs(SEED_APP, old, "1.10.6")


def test_canonical_form_has_absolute_id_and_integral_numbers() -> None:
    app = canonical({"id": "a//b/", "mem": 16.0}, "1.10.6")
    assert app["id"] == "/a/b"
    assert app["mem"] == 16 and isinstance(app["mem"], int)


def test_request_body_drops_read_only_fields() -> None:
    body = request_body(live_seed_app())
    assert "version" not in body and "tasks" not in body and "deployments" not in body
    assert body["id"] == "/marathon-lb-kubernetes-cluster"


def test_nested_defaults_leave_no_diff_right_after_create() -> None:
    """Partial strategies, a minimal health check and a DOCKER container come back filled in."""
    declared = {
        **SEED_APP,
        "upgradeStrategy": {"minimumHealthCapacity": 0},
        "unreachableStrategy": {"inactiveAfterSeconds": 60},
        "healthChecks": [{"path": "/healthz"}, {"protocol": "COMMAND", "command": {"value": "true"}}],
        "container": {"type": "DOCKER", "docker": {"image": "nginx"}},
    }
    live = live_seed_app(
        upgradeStrategy={"minimumHealthCapacity": 0.0, "maximumOverCapacity": 1.0},
        unreachableStrategy={"inactiveAfterSeconds": 60, "expungeAfterSeconds": 600},
        healthChecks=[
            {
                "path": "/healthz",
                "protocol": "HTTP",
                "portIndex": 0,
                "gracePeriodSeconds": 300,
                "intervalSeconds": 60,
                "timeoutSeconds": 20,
                "maxConsecutiveFailures": 3,
                "delaySeconds": 15,
                "ignoreHttp1xx": False,
            },
            {
                "protocol": "COMMAND",
                "command": {"value": "true"},
                "gracePeriodSeconds": 300,
                "intervalSeconds": 60,
                "timeoutSeconds": 20,
                "maxConsecutiveFailures": 3,
                "delaySeconds": 15,
            },
        ],
        container={
            "type": "DOCKER",
            "docker": {"image": "nginx", "forcePullImage": False, "privileged": False, "parameters": []},
            "volumes": [],
        },
    )
    assert live_view(declared, live, "1.10.6") == declared
    live["healthChecks"][0]["intervalSeconds"] = 5
    assert live_view(declared, live, "1.10.6")["healthChecks"][0]["intervalSeconds"] == 5


def test_the_owner_marker_is_sent_but_never_shown_as_drift() -> None:
    body = request_body(SEED_APP, "organization/p/dev#app")
    assert body["labels"]["PULUMI_OWNER"] == "organization/p/dev#app"
    assert "PULUMI_OWNER" not in SEED_APP["labels"]
    live = live_seed_app(labels={**SEED_APP["labels"], "PULUMI_OWNER": "organization/p/dev#app"})
    assert live_view(SEED_APP, live, "1.10.6") == SEED_APP


def test_readiness_checks_and_fetch_entries_read_back_with_marathons_defaults() -> None:
    declared = {
        **SEED_APP,
        "readinessChecks": [{"path": "/ready"}],
        "fetch": [{"uri": "https://example.invalid/a.tgz"}],
    }
    live = live_seed_app(
        readinessChecks=[
            {
                "name": "readinessCheck",
                "protocol": "HTTP",
                "path": "/ready",
                "portName": "http-api",
                "intervalSeconds": 30,
                "timeoutSeconds": 10,
                "httpStatusCodesForReady": [200],
                "preserveLastResponse": False,
            }
        ],
        fetch=[
            {"uri": "https://example.invalid/a.tgz", "extract": True, "executable": False, "cache": False}
        ],
    )
    assert live_view(declared, live, "1.10.6") == declared
    live["readinessChecks"][0]["timeoutSeconds"] = 3
    assert live_view(declared, live, "1.10.6")["readinessChecks"][0]["timeoutSeconds"] == 3
