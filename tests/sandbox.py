"""Run `python -m localdcos serve` in a subprocess for tests, and talk to it over real HTTP."""

from __future__ import annotations

import http.cookiejar
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import requests

REPO = Path(__file__).resolve().parents[1]
ADMIN_UID = "admin"
ADMIN_PASSWORD = "admin-password"
READY_PREFIX = "localdcos listening on "
HTTP_TIMEOUT = 10.0
CONTROL_PREFIX = "/_localdcos"
# Inside Sandbox, `requests` names its request-log method.
HttpResponse = requests.Response


class SandboxError(RuntimeError):
    pass


class Sandbox:
    """A localdcos process on a free loopback port, with the admin user `admin:admin-password`.

    `extra_args` go to `serve` as-is (e.g. "--deploy-seconds", "0.05"). Calls to the control API
    (`/_localdcos/...`, which needs an admin token with `--auth token`) carry the admin's token,
    taken from the sandbox's `--token-file` (written at every start; `expire_tokens` hands back a
    fresh one), so the harness itself never logs in and the request log holds only the test's
    own DC/OS traffic. Only when that token is refused too does it log in."""

    def __init__(
        self,
        *extra_args: str,
        auth: str = "token",
        tls: bool = False,
        state_file: Path | None = None,
        start_timeout: float = 30.0,
    ) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="localdcos-test-")
        self.workdir = Path(self._tmp.name)
        self.ca_file: Path | None = self.workdir / "dcos-ca.crt" if tls else None
        self.state_file = state_file
        # The admin token the sandbox writes at start (a test's own --token-file is used as is).
        given = [extra_args[i + 1] for i, arg in enumerate(extra_args[:-1]) if arg == "--token-file"]
        self.token_file = Path(given[-1]) if given else self.workdir / "admin-token"
        self.args = [
            "--auth",
            auth,
            "--user",
            f"{ADMIN_UID}:{ADMIN_PASSWORD}",
            *(["--tls", "--ca-out", str(self.ca_file)] if tls else []),
            *(["--state-file", str(state_file)] if state_file is not None else []),
            *([] if given else ["--token-file", str(self.token_file)]),
            *extra_args,
        ]
        self.start_timeout = start_timeout
        self.url = ""
        # Verification is passed on every call: requests lets REQUESTS_CA_BUNDLE override session.verify.
        self.verify: str | bool = str(self.ca_file) if self.ca_file is not None else True
        self.session = requests.Session()
        self.session.verify = self.verify
        # No cookie jar: the login cookie would otherwise authenticate later "token-less" requests.
        self.session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        if tls:
            # An idle keep-alive TLS connection (kept by any live Response) holds up the server's
            # graceful shutdown until its timeout; tests do not need keep-alive.
            self.session.headers["Connection"] = "close"
        self._control_token: str | None = None
        self._proc: subprocess.Popen[str] | None = None
        self._stderr: IO[bytes] | None = None
        self._start()

    # -- process -----------------------------------------------------------------------------------

    def _start(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        self._stderr = (self.workdir / "stderr.log").open("ab")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "localdcos", "serve", "--port", "0", *self.args],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        lines: queue.Queue[str | None] = queue.Queue()
        stdout = self._proc.stdout
        assert stdout is not None

        def pump() -> None:
            # Keep draining stdout so the server can never block on a full pipe.
            for line in stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + self.start_timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                raise SandboxError(f"localdcos did not start within {self.start_timeout}s:\n{self.stderr()}")
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                self.stop()
                raise SandboxError(f"localdcos exited before listening:\n{self.stderr()}")
            if line.startswith(READY_PREFIX):
                self.url = line[len(READY_PREFIX) :].strip()
                return

    def stderr(self) -> str:
        path = self.workdir / "stderr.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if it does not exit in time."""
        proc, self._proc = self._proc, None
        self.session.close()
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout)
        if proc is not None and proc.stdout is not None:
            proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def restart(self) -> None:
        """Stop and start again with the same arguments (new port; same state file)."""
        self.stop()
        self._control_token = None
        self._start()

    def close(self) -> None:
        self.stop()
        self.session.close()
        self._tmp.cleanup()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- HTTP --------------------------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        kwargs.setdefault("verify", self.verify)
        return self.session.request(method, self.url + path, **kwargs)

    def login(self, uid: str = ADMIN_UID, password: str = ADMIN_PASSWORD) -> requests.Response:
        return self._send("POST", "/acs/api/v1/auth/login", json={"uid": uid, "password": password})

    def admin_token(self) -> str:
        response = self.login()
        response.raise_for_status()
        token: str = response.json()["token"]
        return token

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"token={self.admin_token()}"}

    def request(
        self, method: str, path: str, *, token: str | None = None, anonymous: bool = False, **kwargs: Any
    ) -> requests.Response:
        """`method path` against the sandbox; with `token` it is sent as `Authorization: token=`.
        A control API call without a token or Authorization header gets the admin's (see the
        class), unless `anonymous`."""
        headers = dict(kwargs.pop("headers", None) or {})
        if token is not None:
            headers["Authorization"] = f"token={token}"
        kwargs.setdefault("allow_redirects", False)
        if path.startswith(CONTROL_PREFIX) and not anonymous and "Authorization" not in headers:
            return self._control(method, path, headers=headers, **kwargs)
        return self._send(method, path, headers=headers, **kwargs)

    # -- control API -------------------------------------------------------------------------------

    def control_headers(self) -> dict[str, str]:
        """`Authorization` for the control API (the admin's token, see the class)."""
        if self._control_token is None:
            self._control_token = self._fresh_control_token(rejected=None)
        return {"Authorization": f"token={self._control_token}"}

    def _fresh_control_token(self, rejected: str | None) -> str:
        try:
            written = self.token_file.read_text().strip()
        except OSError:
            written = ""
        if written and written != rejected:
            return written
        return self.admin_token()  # the last resort: a login, which the request log shows

    def _control(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A control API call with the admin's token, once more with a fresh one if it was refused."""
        headers = dict(kwargs.pop("headers", None) or {})
        response = self._send(method, path, headers={**headers, **self.control_headers()}, **kwargs)
        if response.status_code == 401:
            self._control_token = self._fresh_control_token(rejected=self._control_token)
            response = self._send(method, path, headers={**headers, **self.control_headers()}, **kwargs)
        return response

    def _control_json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._control(method, CONTROL_PREFIX + path, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def requests(self) -> list[dict[str, Any]]:
        """The request log: [{"method", "path", "query", "status", "start", "end"}, ...] (control
        API excluded; start/end in wall-clock seconds)."""
        entries: list[dict[str, Any]] = self._control_json("GET", "/requests")
        return entries

    def clear_requests(self) -> None:
        self._control_json("DELETE", "/requests")

    def control(self, **knobs: Any) -> dict[str, Any]:
        """PATCH SandboxOptions fields live; returns all options."""
        options: dict[str, Any] = self._control_json("PATCH", "/control", json=knobs)
        return options

    def expire_tokens(self) -> None:
        """Invalidate every token issued so far (the helper's own is replaced at once)."""
        answer = self._control_json("POST", "/tokens/expire")
        self._control_token = answer["token"] if isinstance(answer, dict) else None

    def state(self) -> dict[str, Any]:
        snapshot: dict[str, Any] = self._control_json("GET", "/state")
        return snapshot

    def add_cluster(self, name: str, **body: Any) -> HttpResponse:
        """`POST /_localdcos/clusters`: install the kubernetes-cluster service `name` (200 when it
        was installed already, 201 otherwise); `body` may add e.g. `controlPlanes`."""
        return self._control("POST", CONTROL_PREFIX + "/clusters", json={"name": name, **body})

    def remove_cluster(self, name: str) -> HttpResponse:
        return self._control("DELETE", f"{CONTROL_PREFIX}/clusters/{name.strip('/')}")

    def clusters(self) -> list[dict[str, Any]]:
        """`GET /_localdcos/clusters`: every cluster's ClusterInfo."""
        infos: list[dict[str, Any]] = self._control_json("GET", "/clusters")
        return infos

    def deployment_history(self) -> list[dict[str, Any]]:
        """Marathon deployments that finished: [{"id", "version", "affectedApps", "created",
        "finished", "outcome"}]."""
        entries: list[dict[str, Any]] = self._control_json("GET", "/marathon/deployments/history")
        return entries

    def plan_history(self) -> list[dict[str, Any]]:
        """Pool plans that finished: [{"pool", "namespace", "plan", "deployId", "kind", "created",
        "started", "finished"}]."""
        entries: list[dict[str, Any]] = self._control_json("GET", "/edgelb/plans/history")
        return entries

    # -- waiting -----------------------------------------------------------------------------------

    def wait_until(
        self,
        predicate: Callable[[], Any],
        timeout: float = 10.0,
        interval: float = 0.05,
        what: str = "condition",
    ) -> Any:
        """Poll `predicate` until it returns something truthy (returned), or fail after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{what} not reached within {timeout}s")
            time.sleep(interval)

    def wait_deployments_done(self, token: str | None = None, timeout: float = 10.0) -> None:
        if token is None and self.control_options().get("auth") == "token":
            token = self.admin_token()

        def done() -> bool:
            response = self.request("GET", "/service/marathon/v2/deployments", token=token)
            return response.status_code == 200 and response.json() == []

        self.wait_until(done, timeout, what="no running deployments")

    def control_options(self) -> dict[str, Any]:
        options: dict[str, Any] = self._control_json("GET", "/control")
        return options
