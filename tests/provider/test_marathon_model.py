"""check() rules: each problem names the field and the rule, before any HTTP call."""

from typing import Any

import pytest
from pulumi.output import Unknown

from provider.marathon_model import app_id_problem, canonical_app_id, definition_problems
from tests.seed_documents import seed_app

SEED_APP: dict[str, Any] = seed_app()


def unknown() -> Unknown:
    return Unknown()  # type: ignore[no-untyped-call]


def problems(**changes: Any) -> dict[str, str]:
    return dict(definition_problems({**SEED_APP, **changes}))


def test_seed_app_is_valid() -> None:
    assert definition_problems(SEED_APP) == []


@pytest.mark.parametrize(
    ("app_id", "rule"),
    [
        ("/Upper", "lowercase"),
        ("/under_score", "lowercase"),
        ("/-lead", "lowercase"),
        ("/a/tasks", "reserved"),
        ("/", "at least one"),
        ("/a/../b", "absolute"),
    ],
)
def test_bad_ids(app_id: str, rule: str) -> None:
    assert rule in (app_id_problem(app_id) or "")
    assert "definition.id" in problems(id=app_id)


def test_ids_are_made_absolute() -> None:
    assert canonical_app_id("//a//b/") == "/a/b"


def test_label_values_must_be_strings() -> None:
    found = problems(labels={"HAPROXY_0_PORT": 6443})
    assert "definition.labels.HAPROXY_0_PORT" in found
    assert "string" in found["definition.labels.HAPROXY_0_PORT"]


def test_cpus_minimum() -> None:
    assert "0.001" in problems(cpus=0.0001)["definition.cpus"]


def test_negative_resources() -> None:
    found = problems(mem=-1, instances=-1)
    assert set(found) >= {"definition.mem", "definition.instances"}


def test_command_rule() -> None:
    app = {k: v for k, v in SEED_APP.items() if k not in ("cmd", "container")}
    assert "cmd or args" in dict(definition_problems(app))["definition"]
    assert "not both" in dict(definition_problems({**SEED_APP, "args": ["x"]}))["definition"]


def test_unknown_values_are_not_judged_in_preview() -> None:
    assert definition_problems({**SEED_APP, "cmd": unknown(), "labels": {"A": unknown()}}) == []
    assert "definition.cpus" in dict(definition_problems({**SEED_APP, "cmd": unknown(), "cpus": 0}))


def test_definition_must_be_an_object() -> None:
    assert definition_problems("x") == [("definition", "must be a Marathon app definition object")]


def test_a_wholly_unknown_definition_waits_for_apply() -> None:
    assert definition_problems(unknown()) == []


def test_health_check_values_marathon_drops_are_refused() -> None:
    """Marathon-level checks keep no delay and lose `ignoreHttp1xx`: declared otherwise, they would
    show as a change after every up."""
    found = problems(healthChecks=[{"protocol": "HTTP", "delaySeconds": 5, "ignoreHttp1xx": True}])
    assert "MESOS_HTTP" in found["definition.healthChecks.0.delaySeconds"]
    assert "always answers false" in found["definition.healthChecks.0.ignoreHttp1xx"]
    assert "delaySeconds" in " ".join(problems(healthChecks=[{"delaySeconds": 30}]))
    tcp = problems(healthChecks=[{"protocol": "TCP", "ignoreHttp1xx": False}])
    assert "only applies to HTTP and HTTPS" in tcp["definition.healthChecks.0.ignoreHttp1xx"]
    allowed = [
        {"protocol": "HTTP", "delaySeconds": 15, "ignoreHttp1xx": False, "path": "/healthz"},
        {"protocol": "MESOS_HTTP", "delaySeconds": 5},
        {"protocol": "COMMAND", "command": {"value": "true"}, "delaySeconds": 7},
    ]
    assert problems(healthChecks=allowed) == {}
