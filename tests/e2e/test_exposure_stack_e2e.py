"""The main job under the real engine: the project's own program and component against localdcos,
per stack, with a consumer stack reading its outputs through StackReference."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi import automation as auto

from tests.e2e.conftest import REPO, Engine, count

pytestmark = pytest.mark.e2e

FIRST = {"name": "kubernetes-cluster", "via": "marathon-lb", "publicHost": "127.0.0.1"}
SECOND = {"name": "dev/kubernetes01", "via": "edge-lb", "port": 6444, "publicHost": "127.0.0.1"}


def project_copy(source: Path, destination: Path) -> Path:
    destination.mkdir(parents=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(source / name, destination / name)
    settings = yaml.safe_load((destination / "Pulumi.yaml").read_text())
    settings["runtime"]["options"]["virtualenv"] = str(Path(sys.executable).parent.parent)
    (destination / "Pulumi.yaml").write_text(yaml.safe_dump(settings))
    return destination


@pytest.fixture
def exposure_stack(tmp_path: Path, engine_bin: Path, sandbox: Any) -> Engine:
    engine = Engine(project_copy(REPO, tmp_path / "exposure"), tmp_path / "state", stack="e2e")
    engine.runner.set_config("dcos:url", sandbox.url)
    engine.runner.set_config("dcos:token", sandbox.admin_token(), secret=True)
    return engine


def set_clusters(engine: Engine, clusters: list[dict[str, Any]]) -> None:
    engine.runner.set_config("dcos-kubernetes-api:clusters", json.dumps(clusters))


def cluster_contents(sandbox: Any) -> tuple[list[str], list[str]]:
    token = sandbox.admin_token()
    apps = sandbox.request("GET", "/service/marathon/v2/apps", token=token).json()["apps"]
    pools = sandbox.request("GET", "/service/edgelb/v2/pools", token=token).json()
    return sorted(a["id"] for a in apps), sorted(p["name"] for p in pools)


def app_version(sandbox: Any, app_id: str) -> str:
    response = sandbox.request("GET", f"/service/marathon/v2/apps{app_id}", token=sandbox.admin_token())
    version: str = response.json()["app"]["version"]
    return version


def test_stack_lifecycle_switch_add_remove_destroy(sandbox: Any, exposure_stack: Engine) -> None:
    engine = exposure_stack
    set_clusters(engine, [FIRST])
    engine.runner.up()
    outputs = engine.runner.outputs()
    assert outputs["url"].value == "https://127.0.0.1:6443"
    assert outputs["vipHost"].value == "apiserver.kubernetes-cluster.l4lb.thisdcos.directory"
    assert cluster_contents(sandbox) == (["/marathon-lb-kubernetes-cluster"], [])
    engine.runner.preview(expect_no_changes=True)

    # Switching `via` replaces the Marathon app by an Edge-LB pool, and back.
    set_clusters(engine, [{**FIRST, "via": "edge-lb"}])
    engine.runner.up()
    assert cluster_contents(sandbox) == ([], ["edgelb-kubernetes-cluster"])
    engine.runner.preview(expect_no_changes=True)
    set_clusters(engine, [FIRST])
    engine.runner.up()
    assert cluster_contents(sandbox) == (["/marathon-lb-kubernetes-cluster"], [])

    # A second cluster comes and goes without touching the first.
    version = app_version(sandbox, "/marathon-lb-kubernetes-cluster")
    sandbox.request("POST", "/_localdcos/mesos/clusters", json={"name": "dev/kubernetes01"})
    set_clusters(engine, [FIRST, SECOND])
    preview = engine.runner.preview()
    assert count(preview.change_summary, "update") == 0 and count(preview.change_summary, "delete") == 0
    engine.runner.up()
    assert cluster_contents(sandbox) == (["/marathon-lb-kubernetes-cluster"], ["edgelb-dev-kubernetes01"])
    exposures = engine.runner.outputs()["exposures"].value
    assert exposures["dev/kubernetes01"]["url"] == "https://127.0.0.1:6444"
    set_clusters(engine, [FIRST])
    engine.runner.up()
    assert cluster_contents(sandbox) == (["/marathon-lb-kubernetes-cluster"], [])
    assert app_version(sandbox, "/marathon-lb-kubernetes-cluster") == version

    engine.runner.destroy()
    assert cluster_contents(sandbox) == ([], [])


def test_consumer_stack_reads_the_outputs(sandbox: Any, exposure_stack: Engine, tmp_path: Path) -> None:
    set_clusters(exposure_stack, [FIRST])
    exposure_stack.runner.up()

    consumer_dir = tmp_path / "consumer"
    shutil.copytree(REPO / "examples" / "consumer", consumer_dir)
    settings = yaml.safe_load((consumer_dir / "Pulumi.yaml").read_text())
    settings["runtime"]["options"]["virtualenv"] = str(Path(sys.executable).parent.parent)
    (consumer_dir / "Pulumi.yaml").write_text(yaml.safe_dump(settings))
    consumer = Engine(consumer_dir, exposure_stack.state_dir, stack="e2e")
    consumer.runner.set_config("exposureStack", "organization/dcos-kubernetes-api/e2e")
    consumer.runner.up()
    outputs = consumer.runner.outputs()
    assert outputs["url"].value == "https://127.0.0.1:6443"
    assert outputs["kubeconfig"].secret
    kubeconfig = yaml.safe_load(outputs["kubeconfig"].value)
    assert kubeconfig["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:6443"
    consumer.runner.destroy()
    exposure_stack.runner.destroy()


def test_bad_cluster_name_fails_preview_without_a_write(sandbox: Any, exposure_stack: Engine) -> None:
    set_clusters(exposure_stack, [FIRST, {**FIRST, "name": "kubernetes-cluster", "port": 7443}])
    sandbox.clear_requests()
    with pytest.raises(auto.CommandError):
        exposure_stack.runner.preview()
    writes = [r for r in sandbox.requests() if r["method"] != "GET" and r["path"].startswith("/service/")]
    assert writes == []
    set_clusters(exposure_stack, [{**FIRST, "name": "Kubernetes_Cluster"}])
    with pytest.raises(auto.CommandError):
        exposure_stack.runner.preview()
    assert "Kubernetes_Cluster" in exposure_stack.text
