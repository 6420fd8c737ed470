"""The Admin Router layer, the control API, the request log, persistence and TLS."""

from __future__ import annotations

import time
from pathlib import Path

import requests

from tests.sandbox import Sandbox

APPS = "/service/marathon/v2/apps"
APP = {"id": "/persisted", "cmd": "sleep 1000", "cpus": 0.01, "mem": 8}


def test_missing_or_invalid_token_is_401_html_with_challenge(sandbox: Sandbox) -> None:
    for headers in ({}, {"Authorization": "token=garbage"}, {"Authorization": "Basic abc"}):
        response = sandbox.request("GET", APPS, headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["Content-Type"].startswith("text/html")
        assert response.headers["WWW-Authenticate"] == "acsjwt"
        assert "<html>" in response.text


def test_token_bearer_and_cookie_are_accepted(sandbox: Sandbox) -> None:
    token = sandbox.admin_token()
    assert sandbox.request("GET", APPS, headers={"Authorization": f"token={token}"}).status_code == 200
    assert sandbox.request("GET", APPS, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    cookie = {"Cookie": f"dcos-acs-auth-cookie={token}"}
    assert sandbox.request("GET", APPS, headers=cookie).status_code == 200
    # The cookie only counts when there is no Authorization header.
    both = {**cookie, "Authorization": "token=garbage"}
    assert sandbox.request("GET", APPS, headers=both).status_code == 401


def test_login_and_ca_need_no_token(sandbox: Sandbox) -> None:
    assert sandbox.login().status_code == 200
    ca = sandbox.request("GET", "/ca/dcos-ca.crt")
    assert ca.status_code == 200 and ca.text.startswith("-----BEGIN CERTIFICATE-----")


def test_open_cluster_needs_no_token(open_sandbox: Sandbox) -> None:
    assert open_sandbox.request("GET", APPS).status_code == 200
    assert open_sandbox.control_options()["auth"] == "none"


def test_admin_router_paths(open_sandbox: Sandbox) -> None:
    redirect = open_sandbox.request("GET", "/service/marathon")
    assert redirect.status_code == 301
    assert redirect.headers["Location"] == "/service/marathon/"
    unknown = open_sandbox.request("GET", "/service/nothing/v1/x")
    assert (unknown.status_code, unknown.text) == (404, "404 Not Found: service not found.")
    nowhere = open_sandbox.request("GET", "/no/such/location")
    assert nowhere.status_code == 404 and nowhere.headers["Content-Type"].startswith("text/html")
    # Deprecated alias of /service/marathon.
    assert open_sandbox.request("GET", "/marathon/v2/apps").json() == {"apps": []}
    assert open_sandbox.request("GET", "/marathon").status_code == 307


def test_no_leader_and_unavailable_marathon(open_sandbox: Sandbox) -> None:
    open_sandbox.control(leader=False)
    leader = open_sandbox.request("GET", "/service/marathon/v2/leader")
    assert (leader.status_code, leader.json()) == (404, {"message": "There is no leader"})
    apps = open_sandbox.request("GET", APPS)
    assert (apps.status_code, apps.text) == (404, "404 Not Found: service not found.")
    assert apps.headers["Content-Type"].startswith("text/plain")
    open_sandbox.control(leader=True, marathon_unavailable=True)
    unavailable = open_sandbox.request("GET", APPS)
    assert unavailable.status_code == 503
    assert unavailable.text.startswith("503 Service Unavailable")
    open_sandbox.control(marathon_unavailable=False)
    assert open_sandbox.request("GET", APPS).status_code == 200


def test_request_log(sandbox: Sandbox) -> None:
    token = sandbox.admin_token()
    sandbox.clear_requests()
    sandbox.request("GET", APPS, token=token, params={"embed": "apps.tasks"})
    sandbox.request("POST", APPS, token=token, json=APP)
    sandbox.request("GET", APPS)
    sandbox.control(deploy_seconds=0.1)
    log = sandbox.requests()
    assert [{k: e[k] for k in ("method", "path", "query", "status")} for e in log] == [
        {"method": "GET", "path": APPS, "query": "embed=apps.tasks", "status": 200},
        {"method": "POST", "path": APPS, "query": "", "status": 201},
        {"method": "GET", "path": APPS, "query": "", "status": 401},
    ]
    # Wall-clock start and end of each request, in order.
    assert all(e["start"] <= e["end"] for e in log)
    assert [e["start"] for e in log] == sorted(e["start"] for e in log)
    assert abs(log[-1]["end"] - time.time()) < 60
    sandbox.clear_requests()
    assert sandbox.requests() == []


def test_control_api(open_sandbox: Sandbox) -> None:
    options = open_sandbox.control_options()
    assert options["deploy_seconds"] == 0.1 and options["clusters"] == ["kubernetes-cluster"]
    patched = open_sandbox.control(stall_deployments=True, marathon_version="1.8.0")
    assert patched["stall_deployments"] is True and patched["marathon_version"] == "1.8.0"
    url = open_sandbox.url + "/_localdcos/control"
    unknown = requests.patch(url, json={"no_such_knob": 1}, timeout=10)
    assert unknown.status_code == 400 and "no_such_knob" in unknown.json()["message"]
    wrong_type = requests.patch(url, json={"deploy_seconds": "soon"}, timeout=10)
    assert wrong_type.status_code == 400
    assert open_sandbox.control_options()["deploy_seconds"] == 0.1


def test_state_file_survives_a_restart(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    with Sandbox("--deploy-seconds", "0.1", state_file=state_file) as box:
        token = box.admin_token()
        assert box.request("POST", APPS, token=token, json=APP).status_code == 201
        box.wait_deployments_done(token)
        before = box.request("GET", APPS + "/persisted", token=token).json()["app"]
        box.restart()
        # The signing key is part of the state: tokens issued before stay valid.
        after = box.request("GET", APPS + "/persisted", token=token).json()["app"]
        assert after["version"] == before["version"]
        assert after["portDefinitions"] == before["portDefinitions"]
        assert [t["id"] for t in after["tasks"]] == [t["id"] for t in before["tasks"]]
        # A deployment stored before a restart keeps progressing after it.
        box.control(deploy_seconds=0.5)
        assert (
            box.request("PUT", APPS + "/persisted", token=token, json={"cmd": "sleep 5"}).status_code == 200
        )
        box.restart()
        box.wait_deployments_done(token)
        assert box.request("GET", APPS + "/persisted", token=token).json()["app"]["cmd"] == "sleep 5"
    assert (tmp_path / "dcos-ca.crt").exists()
    assert not (tmp_path / "state.json.tmp").exists()


def test_tls_with_the_sandbox_ca() -> None:
    with Sandbox(tls=True) as box:
        assert box.url.startswith("https://127.0.0.1:")
        assert box.ca_file is not None
        served = box.request("GET", "/ca/dcos-ca.crt")
        assert served.text == box.ca_file.read_text()
        assert box.request("GET", APPS, token=box.admin_token()).status_code == 200
        # The certificate also names localhost.
        by_name = box.url.replace("127.0.0.1", "localhost")
        assert box.session.get(by_name + "/ca/dcos-ca.crt", verify=box.verify, timeout=10).status_code == 200
        with requests.Session() as default_trust:
            try:
                default_trust.get(box.url + "/ca/dcos-ca.crt", timeout=10)
            except requests.exceptions.SSLError:
                pass
            else:
                raise AssertionError("the sandbox CA must not be trusted by default")


def test_command_line_flags_set_the_options() -> None:
    flags = [
        *("--cluster", "dev/kubernetes01", "--cluster", "prod"),
        *("--marathon-version", "1.9.1", "--deploy-seconds", "0.7", "--token-ttl-seconds", "60"),
        *("--pool-deploy-seconds", "2", "--no-leader", "--stall-deployments", "--edgelb-timeout-trap"),
    ]
    with Sandbox(*flags, auth="none") as box:
        options = box.control_options()
    assert options["clusters"] == ["dev/kubernetes01", "prod"]
    assert (options["marathon_version"], options["deploy_seconds"], options["token_ttl_seconds"]) == (
        "1.9.1",
        0.7,
        60,
    )
    assert (options["pool_deploy_seconds"], options["leader"], options["stall_deployments"]) == (
        2.0,
        False,
        True,
    )
    assert (options["edgelb_timeout_trap"], options["auth"]) == (True, "none")
