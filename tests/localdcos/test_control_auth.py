"""The sandbox's control API behind the admin token (`--auth token`), open with `--auth none`, and
the state and token files created private."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sandbox import Sandbox

CONTROL_ROUTES = [
    ("GET", "/_localdcos/control"),
    ("PATCH", "/_localdcos/control"),
    ("GET", "/_localdcos/requests"),
    ("DELETE", "/_localdcos/requests"),
    ("GET", "/_localdcos/state"),
    ("POST", "/_localdcos/tokens/expire"),
    ("POST", "/_localdcos/tokens"),
    ("GET", "/_localdcos/identities"),
    ("PUT", "/_localdcos/users/intruder"),
    ("DELETE", "/_localdcos/identities/admin"),
    ("GET", "/_localdcos/clusters"),
    ("POST", "/_localdcos/clusters"),
    ("GET", "/_localdcos/mesos/clusters"),
    ("POST", "/_localdcos/mesos/task-state"),
    ("GET", "/_localdcos/marathon/deployments/history"),
    ("GET", "/_localdcos/edgelb/plans/history"),
    ("GET", "/_localdcos/haproxy/status"),
]


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    with Sandbox("--user", "viewer:pw:noperm") as sandbox:
        yield sandbox


@pytest.mark.parametrize(("method", "path"), CONTROL_ROUTES)
def test_every_control_route_needs_an_admin_token(box: Sandbox, method: str, path: str) -> None:
    anonymous = box.request(method, path, anonymous=True, json={})
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == "acsjwt"
    assert "signing_key" not in anonymous.text
    garbage = box.request(method, path, token="garbage", json={})
    assert garbage.status_code == 401
    viewer = box.login("viewer", "pw").json()["token"]
    assert box.request(method, path, token=viewer, json={}).status_code == 403


def test_the_admin_token_opens_it(box: Sandbox) -> None:
    state = box.request("GET", "/_localdcos/state", token=box.admin_token())
    assert state.status_code == 200 and "signing_key" in state.json()["iam"]
    # The Sandbox helper sends the admin token itself, and logs in again after an expiry.
    assert box.control_options()["auth"] == "token"
    box.expire_tokens()
    assert box.state()["iam"]["identities"]
    assert box.requests() is not None


def test_marathon_lb_stays_open(box: Sandbox) -> None:
    # Marathon-LB is not behind Admin Router on DC/OS.
    assert box.request("GET", "/marathon-lb/_haproxy_getconfig", anonymous=True).status_code == 200


def test_open_sandbox_has_an_open_control_api(open_sandbox: Sandbox) -> None:
    for path in ("/_localdcos/control", "/_localdcos/state", "/_localdcos/clusters"):
        assert open_sandbox.request("GET", path, anonymous=True).status_code == 200


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_state_and_token_files_are_private(tmp_path: Path) -> None:
    state_file, token_file = tmp_path / "state.json", tmp_path / "token"
    # A stale world-readable copy is replaced, not reused; a permissive umask changes nothing.
    state_file.write_text("{}")
    state_file.chmod(0o644)
    (tmp_path / "state.json.tmp").write_text("")
    (tmp_path / "state.json.tmp").chmod(0o666)
    previous = os.umask(0)
    try:
        box = Sandbox("--token-file", str(token_file), state_file=state_file)
    finally:
        os.umask(previous)
    with box:
        assert mode(token_file) == 0o600
        assert box.add_cluster("dev/kubernetes01").status_code == 201
        assert mode(state_file) == 0o600
        assert "signing_key" in state_file.read_text()
        token = token_file.read_text().strip()
        assert box.request("GET", "/_localdcos/control", token=token).status_code == 200


def test_expiry_hands_the_caller_a_fresh_token(sandbox: Sandbox) -> None:
    old = sandbox.admin_token()
    expired = sandbox.request("POST", "/_localdcos/tokens/expire", token=old)
    assert expired.status_code == 200
    fresh = expired.json()["token"]
    assert sandbox.request("GET", "/_localdcos/control", token=old).status_code == 401
    assert sandbox.request("GET", "/_localdcos/control", token=fresh).status_code == 200
    assert sandbox.request("GET", "/service/marathon/v2/info", token=fresh).status_code == 200


def test_the_helper_leaves_no_traffic_of_its_own(sandbox: Sandbox) -> None:
    # Its token comes from the sandbox's token file, never from a login the request log would show.
    sandbox.clear_requests()
    sandbox.control_options()
    sandbox.expire_tokens()
    sandbox.state()
    sandbox.restart()
    sandbox.control(deploy_seconds=0.2)
    assert sandbox.requests() == []
