"""Marathon's defaults inside nested objects the request gave only in part, as GET answers them
(spec §1.8; where it is silent, upstream's RAML types and conversions)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.sandbox import Sandbox

APPS = "/service/marathon/v2/apps"


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    with Sandbox("--deploy-seconds", "0.05", auth="none") as sandbox:
        yield sandbox


def stored(box: Sandbox, name: str, **fields: Any) -> dict[str, Any]:
    """POSTs a small app with `fields` and answers its GET."""
    app_id = f"/nested/{name}"
    body = {"id": app_id, "cmd": "sleep 1000", "cpus": 0.01, "mem": 8, **fields}
    created = box.request("POST", APPS, json=body)
    assert created.status_code == 201, created.text
    answer: requests.Response = box.request("GET", APPS + app_id)
    app: dict[str, Any] = answer.json()["app"]
    return app


def test_a_partial_unreachable_strategy_gets_the_raml_field_defaults(box: Sandbox) -> None:
    # UnreachableEnabled: inactiveAfterSeconds 300, expungeAfterSeconds 600 for a field left out;
    # a strategy left out altogether is 0/0 (1.5+).
    assert stored(box, "unreachable-inactive", unreachableStrategy={"inactiveAfterSeconds": 120})[
        "unreachableStrategy"
    ] == {"inactiveAfterSeconds": 120, "expungeAfterSeconds": 600}
    assert stored(box, "unreachable-expunge", unreachableStrategy={"expungeAfterSeconds": 900})[
        "unreachableStrategy"
    ] == {"inactiveAfterSeconds": 300, "expungeAfterSeconds": 900}
    assert stored(box, "unreachable-empty", unreachableStrategy={})["unreachableStrategy"] == {
        "inactiveAfterSeconds": 300,
        "expungeAfterSeconds": 600,
    }
    assert stored(box, "unreachable-none")["unreachableStrategy"] == {
        "inactiveAfterSeconds": 0,
        "expungeAfterSeconds": 0,
    }
    assert stored(box, "unreachable-disabled", unreachableStrategy="disabled")["unreachableStrategy"] == (
        "disabled"
    )


def test_a_minimal_http_health_check_gets_upstreams_defaults_and_no_path(box: Sandbox) -> None:
    [check] = stored(box, "health-http", healthChecks=[{"protocol": "HTTP"}])["healthChecks"]
    assert check == {
        "protocol": "HTTP",
        "portIndex": 0,
        "gracePeriodSeconds": 300,
        "intervalSeconds": 60,
        "timeoutSeconds": 20,
        "maxConsecutiveFailures": 3,
        "delaySeconds": 15,
        "ignoreHttp1xx": False,
    }
    [https] = stored(box, "health-https", healthChecks=[{"protocol": "HTTPS", "path": "/healthz"}])[
        "healthChecks"
    ]
    assert https["path"] == "/healthz" and https["ignoreHttp1xx"] is False


def test_marathon_level_checks_answer_their_fixed_delay_and_1xx_setting(box: Sandbox) -> None:
    """HTTP, HTTPS and TCP checks run in Marathon, which keeps no delay and (in its RAML reader)
    drops `ignoreHttp1xx`: GET answers 15 and false whatever was sent."""
    sent = {"protocol": "HTTP", "delaySeconds": 5, "ignoreHttp1xx": True}
    [check] = stored(box, "health-dropped", healthChecks=[sent])["healthChecks"]
    assert (check["delaySeconds"], check["ignoreHttp1xx"]) == (15, False)
    [tcp] = stored(box, "health-tcp", healthChecks=[{"protocol": "TCP", "delaySeconds": 5}])["healthChecks"]
    assert tcp["delaySeconds"] == 15 and "ignoreHttp1xx" not in tcp and "path" not in tcp


def test_mesos_and_command_checks_keep_their_delay_and_have_no_1xx_setting(box: Sandbox) -> None:
    checks = stored(
        box,
        "health-mesos",
        healthChecks=[
            {"protocol": "MESOS_HTTP", "delaySeconds": 5},
            {"protocol": "COMMAND", "command": {"value": "true"}, "delaySeconds": 7},
        ],
    )["healthChecks"]
    mesos, command = checks
    assert mesos["delaySeconds"] == 5 and "ignoreHttp1xx" not in mesos and "path" not in mesos
    assert mesos["portIndex"] == 0
    assert command["delaySeconds"] == 7 and "portIndex" not in command
    assert command["command"] == {"value": "true"}


def test_a_minimal_readiness_check_reads_back_with_every_default(box: Sandbox) -> None:
    app = stored(
        box,
        "readiness",
        portDefinitions=[{"port": 0, "name": "http-api"}],
        readinessChecks=[{"path": "/ready"}],
    )
    assert app["readinessChecks"] == [
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
    ]


def test_readiness_check_fields_are_checked_like_the_raml(box: Sandbox) -> None:
    body = {
        "id": "/nested/readiness-bad",
        "cmd": "sleep 1000",
        "readinessChecks": [{"portName": "Bad_Name", "httpStatusCodesForReady": [99]}],
    }
    refused = box.request("POST", APPS, json=body)
    assert refused.status_code == 422
    paths = {d["path"] for d in refused.json()["details"]}
    assert paths == {"/readinessChecks(0)/portName", "/readinessChecks(0)/httpStatusCodesForReady(0)"}


def test_a_partial_upgrade_strategy_and_fetch_entries_get_their_defaults(box: Sandbox) -> None:
    app = stored(
        box,
        "upgrade-fetch",
        upgradeStrategy={"minimumHealthCapacity": 0.5},
        fetch=[{"uri": "https://example.invalid/a.tgz"}],
    )
    assert app["upgradeStrategy"] == {"minimumHealthCapacity": 0.5, "maximumOverCapacity": 1}
    assert app["fetch"] == [
        {"uri": "https://example.invalid/a.tgz", "extract": True, "executable": False, "cache": False}
    ]
