"""The Python steps of `make up` (scripts/main_job.py) on their own: which clusters it provisions in
the sandbox for a stack's `pulumi config --json`, and what it says when it cannot know."""

from __future__ import annotations

import json

from scripts import main_job

PROJECT = "dcos-kubernetes-api"
URL = "http://127.0.0.1:18080"


def config(**values: object) -> str:
    """`pulumi config --json` of a stack whose project keys hold `values`."""
    return json.dumps(
        {
            f"{PROJECT}:{key}": {"value": json.dumps(value), "objectValue": value, "secret": False}
            for key, value in values.items()
        }
        | {f"{PROJECT}:kubeconfigToken": {"value": "[secret]", "secret": True}}
    )


def test_the_names_are_the_programs() -> None:
    clusters = [{"name": "kubernetes-cluster"}, {"name": "dev/kubernetes01", "via": "edge-lb", "port": 6444}]
    assert main_job.clusters(config(clusters=clusters), PROJECT, URL) == (
        ["kubernetes-cluster", "dev/kubernetes01"],
        [],
    )
    assert main_job.clusters(config(cluster={"name": "a"}), PROJECT, URL) == (["a"], [])


def test_a_plain_string_value_is_read_like_get_object() -> None:
    plain = json.dumps({f"{PROJECT}:cluster": {"value": json.dumps({"name": "b"}), "secret": False}})
    assert main_job.clusters(plain, PROJECT, URL) == (["b"], [])


def test_cluster_from_is_named_in_a_message() -> None:
    names, notes = main_job.clusters(config(clusterFrom={"stack": "org/platform/prod"}), PROJECT, URL)
    assert names == []
    assert (
        len(notes) == 1
        and "org/platform/prod" in notes[0]
        and f"cluster --url {URL} --token-file .state/token add NAME" in notes[0]
    )


def test_an_invalid_config_provisions_nothing_and_says_why() -> None:
    names, notes = main_job.clusters(config(clusters=[{"name": "Bad_Name"}]), PROJECT, URL)
    assert names == []
    assert "clusters[0].name" in notes[0] and "pulumi up" in notes[0]
    names, notes = main_job.clusters("{}", PROJECT, URL)
    assert names == [] and "set exactly one of" in notes[0]
