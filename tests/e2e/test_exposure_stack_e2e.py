"""The main job under the real engine through the plain `pulumi` CLI: the project's own program and
component against localdcos, per stack, with a consumer stack reading its outputs through
StackReference, and the README's real-cluster steps followed on a sandbox standing in for the
cluster."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.docs.readme import readme_block
from tests.e2e.support import FIRST, SECOND, copy_program, pin_virtualenv, set_clusters
from tests.pulumi_cli import REPO, PulumiCli, planned_changes
from tests.sandbox import Sandbox

pytestmark = pytest.mark.e2e


def cluster_contents(sandbox: Any) -> tuple[list[str], list[str]]:
    token = sandbox.admin_token()
    apps = sandbox.request("GET", "/service/marathon/v2/apps", token=token).json()["apps"]
    pools = sandbox.request("GET", "/service/edgelb/v2/pools", token=token).json()
    return sorted(a["id"] for a in apps), sorted(p["name"] for p in pools)


def app_version(sandbox: Any, app_id: str) -> str:
    response = sandbox.request("GET", f"/service/marathon/v2/apps{app_id}", token=sandbox.admin_token())
    version: str = response.json()["app"]["version"]
    return version


def test_stack_lifecycle_switch_add_remove_destroy(sandbox: Any, exposure_stack: PulumiCli) -> None:
    cli = exposure_stack
    set_clusters(cli, [FIRST])
    cli.up().check()
    outputs = cli.outputs()
    assert outputs["url"] == "https://127.0.0.1:6443"
    assert outputs["vipHost"] == "apiserver.kubernetes-cluster.l4lb.thisdcos.directory"
    assert cluster_contents(sandbox) == (["/marathon-lb-kubernetes-cluster"], [])
    cli.preview(expect_no_changes=True).check()

    # Switching `via` replaces the Marathon app by an Edge-LB pool, and back.
    set_clusters(cli, [{**FIRST, "via": "edge-lb"}])
    cli.up().check()
    assert cluster_contents(sandbox) == ([], ["edgelb-kubernetes-cluster"])
    cli.preview(expect_no_changes=True).check()
    set_clusters(cli, [FIRST])
    cli.up().check()
    assert cluster_contents(sandbox) == (["/marathon-lb-kubernetes-cluster"], [])

    # A second cluster comes and goes without touching the first.
    version = app_version(sandbox, "/marathon-lb-kubernetes-cluster")
    sandbox.request("POST", "/_localdcos/mesos/clusters", json={"name": "dev/kubernetes01"})
    set_clusters(cli, [FIRST, SECOND])
    result, plan = cli.preview_json()
    assert result.ok, result.output
    assert planned_changes(plan)["update"] == 0 and planned_changes(plan)["delete"] == 0
    cli.up().check()
    assert cluster_contents(sandbox) == (["/marathon-lb-kubernetes-cluster"], ["edgelb-dev-kubernetes01"])
    exposures = cli.outputs()["exposures"]
    assert exposures["dev/kubernetes01"]["url"] == "https://127.0.0.1:6444"
    set_clusters(cli, [FIRST])
    cli.up().check()
    assert cluster_contents(sandbox) == (["/marathon-lb-kubernetes-cluster"], [])
    assert app_version(sandbox, "/marathon-lb-kubernetes-cluster") == version

    cli.destroy().check()
    assert cluster_contents(sandbox) == ([], [])


def test_consumer_stack_reads_the_outputs(sandbox: Any, exposure_stack: PulumiCli, tmp_path: Path) -> None:
    set_clusters(exposure_stack, [FIRST])
    exposure_stack.up().check()

    consumer_dir = tmp_path / "consumer"
    shutil.copytree(REPO / "examples" / "consumer", consumer_dir)
    pin_virtualenv(consumer_dir)
    consumer = PulumiCli(consumer_dir, exposure_stack.state_dir, "e2e", bin_dir=exposure_stack.bin_dir)
    consumer.set_config("exposureStack", "organization/dcos-kubernetes-api/e2e")
    consumer.up().check()
    assert consumer.outputs()["kubeconfig"] == "[secret]"
    outputs = consumer.outputs(show_secrets=True)
    assert outputs["url"] == "https://127.0.0.1:6443"
    kubeconfig = yaml.safe_load(outputs["kubeconfig"])
    assert kubeconfig["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:6443"
    consumer.destroy().check()
    exposure_stack.destroy().check()


def test_bad_cluster_name_fails_preview_without_a_write(sandbox: Any, exposure_stack: PulumiCli) -> None:
    set_clusters(exposure_stack, [FIRST, {**FIRST, "name": "kubernetes-cluster", "port": 7443}])
    sandbox.clear_requests()
    assert not exposure_stack.preview().ok
    writes = [r for r in sandbox.requests() if r["method"] != "GET" and r["path"].startswith("/service/")]
    assert writes == []
    set_clusters(exposure_stack, [{**FIRST, "name": "Kubernetes_Cluster"}])
    result = exposure_stack.preview()
    assert not result.ok
    assert "Kubernetes_Cluster" in result.output


def test_the_readme_real_cluster_steps_work_as_written(tmp_path: Path, engine: Path) -> None:
    """`Pointing the project at a real cluster`, run verbatim in bash on a copy of the project with
    the `dev` stack, a TLS sandbox standing in for https://dcos-dev.example.com (its URL swapped in)
    and a stand-in `dcos` CLI that prints the sandbox's token. Only the prompt of `pulumi up` is
    answered through PULUMI_OPTION_YES, as a user answers it at the terminal."""
    project = copy_program(tmp_path / "project", "Pulumi.dev.yaml")
    with Sandbox("--deploy-seconds", "0.1", auth="token", tls=True) as box:
        box.request("POST", "/_localdcos/mesos/clusters", json={"name": "dev/kubernetes01"})
        token = box.admin_token()
        tools = tmp_path / "tools"
        tools.mkdir()
        (tools / "dcos").write_text(
            f'#!/bin/sh\n[ "$*" = "config show core.dcos_acs_token" ] && echo {token} && exit 0\nexit 1\n'
        )
        (tools / "dcos").chmod(0o755)
        script = readme_block("real-cluster").replace("https://dcos-dev.example.com", box.url)
        cli = PulumiCli(project, tmp_path / "state", "dev", bin_dir=engine, passphrase=None, create=False)
        env = {**cli.env, "PATH": f"{tools}{os.pathsep}{cli.env['PATH']}", "PULUMI_OPTION_YES": "true"}
        run = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=project,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        output = run.stdout + run.stderr
        assert run.returncode == 0, output
        app = box.request("GET", "/service/marathon/v2/apps/marathon-lb-dev-kubernetes01", token=token)
        assert app.status_code == 200, output
        assert app.json()["app"]["labels"]["HAPROXY_GROUP"] == "external"
        cli.env["PULUMI_CONFIG_PASSPHRASE"] = re.findall(r"PULUMI_CONFIG_PASSPHRASE=(\S+)", script)[0]
        assert cli.outputs()["url"] == "https://k8s-api.dev.example.com:6443"
        assert token not in output and token not in cli.state_files_text()
        assert token not in (project / "Pulumi.dev.yaml").read_text()
        cli.destroy().check()
        assert (
            box.request(
                "GET", "/service/marathon/v2/apps/marathon-lb-dev-kubernetes01", token=token
            ).status_code
            == 404
        )
