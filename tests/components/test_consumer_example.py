"""examples/consumer under Pulumi mocks: it renders the producer's kubeconfig with the project's own code."""

from __future__ import annotations

from typing import Any

import yaml

from components.kubeconfig import render_kubeconfig
from tests.components.helpers import PEM, ROOT, install_mocks, run_program

EXAMPLE = ROOT / "examples" / "consumer" / "__main__.py"
CONSUMER = "dcos-kubernetes-api"  # the mocks' project; the example reads its keys under it
PRODUCER = {
    "url": "https://127.0.0.1:6443",
    "clusterName": "dev/kubernetes01",
    "vipHost": "apiserver.devkubernetes01.l4lb.thisdcos.directory",
    "frontendSelfSigned": True,
    "tlsNote": "ignored: the consumer decides with its own CA",
}


def consume(referenced: dict[str, Any], **config: str) -> dict[str, Any]:
    install_mocks(referenced)
    values = {f"{CONSUMER}:exposureStack": "organization/dcos-kubernetes-api/dev"}
    values.update({f"{CONSUMER}:{k}": v for k, v in config.items()})
    secret = tuple(f"{CONSUMER}:{k}" for k in config if k == "token")
    return run_program(EXAMPLE, values, secret)


def test_exports_url_vip_and_a_secret_kubeconfig_from_the_project_renderer() -> None:
    exports = consume(PRODUCER)
    assert exports["url"] == PRODUCER["url"]
    assert exports["vipHost"] == PRODUCER["vipHost"]
    assert exports["kubeconfig.secret"] is True
    assert exports["kubeconfig"] == render_kubeconfig(
        name="dev-kubernetes01", url="https://127.0.0.1:6443", self_signed=True
    )


def test_own_ca_and_token() -> None:
    exports = consume(PRODUCER, frontendCaPem=PEM, token="abc.def")
    document = yaml.safe_load(exports["kubeconfig"])
    assert "certificate-authority-data" in document["clusters"][0]["cluster"]
    assert document["users"] == [{"name": "dev-kubernetes01", "user": {"token": "abc.def"}}]


def test_no_public_host_no_kubeconfig() -> None:
    assert consume({**PRODUCER, "url": None})["kubeconfig"] is None
