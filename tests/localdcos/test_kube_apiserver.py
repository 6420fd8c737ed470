"""The fake kube-apiserver, driven by the real kubectl on PATH."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from localdcos.kube import GIT_VERSION, FakeApiServer, apiserver_certificate, apiserver_hostnames
from localdcos.pki import new_authority

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl on PATH")

CLUSTER = "dev/kubernetes01"


@dataclass
class Env:
    server: FakeApiServer
    ca_file: Path
    env: dict[str, str]

    def kubectl(self, *args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["kubectl", *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            ["kubectl", *args], env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )

    def get(
        self, path: str, headers: dict[str, str] | None = None, method: str = "GET"
    ) -> tuple[int, str, str]:
        context = ssl.create_default_context(cafile=self.ca_file)
        conn = http.client.HTTPSConnection("127.0.0.1", self.server.port, context=context, timeout=5)
        try:
            conn.request(method, path, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.getheader("Content-Type", ""), resp.read().decode()
        finally:
            conn.close()


@pytest.fixture
def make_env(tmp_path: Path) -> Iterator[Callable[..., Env]]:
    servers: list[FakeApiServer] = []

    def make(**kwargs: Any) -> Env:
        ca = new_authority()
        cert, key = apiserver_certificate(ca, apiserver_hostnames(CLUSTER), ["127.0.0.1"])
        ca_file, cert_file, key_file = tmp_path / "ca.crt", tmp_path / "tls.crt", tmp_path / "tls.key"
        ca_file.write_bytes(ca.ca_cert_pem)
        cert_file.write_bytes(cert)
        key_file.write_bytes(key)
        server = FakeApiServer("127.0.0.1", 0, cert_file, key_file, cluster_name=CLUSTER, **kwargs)
        server.start()
        servers.append(server)
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [
                        {
                            "name": "c",
                            "cluster": {"server": server.url, "certificate-authority": str(ca_file)},
                        }
                    ],
                    "users": [{"name": "u", "user": {"token": "sandbox-token"}}],
                    "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
                    "current-context": "c",
                }
            )
        )
        # A private HOME keeps kubectl's discovery cache per test, so every test really discovers.
        env = {**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(tmp_path)}
        return Env(server=server, ca_file=ca_file, env=env)

    yield make
    for server in servers:
        server.stop()


class Lines:
    """A process's output lines, read in the background so waits can be bounded."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        assert proc.stdout is not None
        stream = proc.stdout
        self._thread = threading.Thread(target=lambda: self.lines.extend(stream), daemon=True)
        self._thread.start()

    def wait_for(self, predicate: Callable[[str], bool], timeout: float) -> str | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if predicate(line):
                    return line
            time.sleep(0.05)
        return None


def wait_until(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_kubectl_version_shows_the_server_version(make_env: Callable[..., Env]) -> None:
    env = make_env()
    result = env.kubectl("version", "-o", "json")
    assert result.returncode == 0, result.stderr
    server = json.loads(result.stdout)["serverVersion"]
    assert (server["major"], server["minor"], server["gitVersion"]) == ("1", "32", GIT_VERSION)
    assert ("GET", "/version") in env.server.requests


@pytest.mark.parametrize("aggregated", [True, False], ids=["aggregated-discovery", "legacy-discovery"])
def test_kubectl_get_namespaces_lists_the_builtin_namespaces(
    make_env: Callable[..., Env], aggregated: bool
) -> None:
    env = make_env(aggregated_discovery=aggregated)
    result = env.kubectl("get", "namespaces")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "AGE"]
    assert [line.split()[:2] for line in lines[1:]] == [
        ["default", "Active"],
        ["kube-public", "Active"],
        ["kube-system", "Active"],
    ]
    # Legacy discovery needs the per-version resource list; aggregated discovery carries it.
    assert (("GET", "/api/v1") in env.server.requests) is not aggregated
    assert all(r.authorization for r in env.server.request_records)

    one = env.kubectl("get", "namespace", "kube-system", "-o", "json")
    assert json.loads(one.stdout)["metadata"]["name"] == "kube-system"
    missing = env.kubectl("get", "namespace", "nope")
    assert missing.returncode != 0
    assert 'namespaces "nope" not found' in missing.stderr


def test_idle_watch_then_one_modified_event(make_env: Callable[..., Env]) -> None:
    env = make_env(watch_idle_seconds=2)
    proc = env.popen("get", "namespaces", "--watch", "--output-watch-events", "--request-timeout=0")
    try:
        out = Lines(proc)
        started = time.monotonic()
        assert out.wait_for(lambda line: line.split()[:2] == ["ADDED", "kube-system"], timeout=10)
        assert wait_until(lambda: env.server.open_watches == 1, timeout=5)
        time.sleep(max(0.0, started + 1.5 - time.monotonic()))
        assert proc.poll() is None, out.lines
        assert not any(line.startswith("MODIFIED") for line in out.lines)

        modified = out.wait_for(lambda line: line.startswith("MODIFIED"), timeout=5)
        assert modified is not None, out.lines
        assert modified.split()[:3] == ["MODIFIED", "default", "Active"]
        assert time.monotonic() - started >= 1.9
        assert proc.poll() is None  # the stream stays open, idle, after the event
    finally:
        proc.terminate()
        proc.wait(timeout=5)
    # The server notices the client has gone and closes its side of the watch.
    assert wait_until(lambda: env.server.open_watches == 0, timeout=3)
    (watch,) = [r for r in env.server.request_records if "watch=" in r.target]
    assert watch.path == "/api/v1/namespaces"
    assert "resourceVersion=" in watch.target


def test_stop_is_prompt_with_a_watch_open(make_env: Callable[..., Env]) -> None:
    env = make_env(watch_idle_seconds=60)
    proc = env.popen("get", "namespaces", "--watch", "--request-timeout=0")
    try:
        assert wait_until(lambda: env.server.open_watches == 1, timeout=10)
        began = time.monotonic()
        env.server.stop()
        assert time.monotonic() - began < 1.5
        assert env.server.open_watches == 0
        assert env.server.open_connections == 0
        proc.wait(timeout=5)  # kubectl sees its watch end
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_http_shapes_and_certificate(make_env: Callable[..., Env]) -> None:
    env = make_env()
    assert env.get("/healthz")[::2] == (200, "ok")
    assert env.get("/readyz")[::2] == (200, "ok")

    status, _, body = env.get("/api")
    versions = json.loads(body)
    assert (status, versions["kind"], versions["versions"]) == (200, "APIVersions", ["v1"])
    assert versions["serverAddressByClientCIDRs"][0]["serverAddress"] == f"127.0.0.1:{env.server.port}"
    assert json.loads(env.get("/apis")[2]) == {"kind": "APIGroupList", "apiVersion": "v1", "groups": []}
    (namespaces,) = json.loads(env.get("/api/v1")[2])["resources"]
    assert (namespaces["name"], namespaces["verbs"]) == ("namespaces", ["get", "list", "watch"])

    aggregated = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    _, content_type, body = env.get("/api", {"Accept": f"{aggregated},application/json"})
    assert content_type == aggregated
    assert json.loads(body)["items"][0]["versions"][0]["resources"][0]["resource"] == "namespaces"

    listing = json.loads(env.get("/api/v1/namespaces")[2])
    assert listing["kind"] == "NamespaceList"
    assert {i["metadata"]["name"] for i in listing["items"]} == {"default", "kube-public", "kube-system"}

    for method, path in [("GET", "/api/v1/pods"), ("POST", "/api/v1/namespaces")]:
        status, _, body = env.get(path, method=method)
        assert (status, json.loads(body)["kind"], json.loads(body)["reason"]) == (404, "Status", "NotFound")
    assert not env.server.request_records[-1].authorization
    assert ("POST", "/api/v1/namespaces") in env.server.requests

    context = ssl.create_default_context(cafile=env.ca_file)
    with (
        socket.create_connection(("127.0.0.1", env.server.port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="apiserver.devkubernetes01.l4lb.thisdcos.directory") as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    cert = x509.load_der_x509_certificate(der)
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == [
        "apiserver.devkubernetes01.l4lb.thisdcos.directory",
        "localhost",
    ]
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]


def test_listener_shares_its_port(make_env: Callable[..., Env]) -> None:
    # The sandbox's HAProxy binds *:port beside it; only both sockets having SO_REUSEPORT allows that.
    listener = make_env().server._server
    assert listener is not None
    assert listener.socket.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)
    assert listener.socket.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
