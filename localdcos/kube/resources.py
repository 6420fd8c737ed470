"""The Kubernetes objects the fake apiserver serves: the three built-in namespaces (as JSON or as a
server-side `meta.k8s.io` Table), API discovery (aggregated v2/v2beta1 and legacy), version and
Status errors, and the content negotiation that picks between them."""

from __future__ import annotations

import datetime
import threading
import uuid
from dataclasses import dataclass
from typing import Any

GIT_VERSION = "v1.32.0-localdcos"
JSON = "application/json"
_DISCOVERY_GROUP = "apidiscovery.k8s.io"
_DISCOVERY_VERSIONS = ("v2", "v2beta1")
_TABLE_VERSIONS = ("v1", "v1beta1")
NAMESPACES = ("default", "kube-public", "kube-system")


def _timestamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _age(since: datetime.datetime, now: datetime.datetime) -> str:
    """kubectl's short AGE style (a simplified `duration.HumanDuration`)."""
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h{minutes % 60}m" if hours < 8 and minutes % 60 else f"{hours}h"
    return f"{hours // 24}d"


_NAMESPACE_COLUMNS = [
    {
        "name": "Name",
        "type": "string",
        "format": "name",
        "description": "Name must be unique within a namespace.",
        "priority": 0,
    },
    {
        "name": "Status",
        "type": "string",
        "format": "",
        "description": "The status of the namespace",
        "priority": 0,
    },
    {
        "name": "Age",
        "type": "string",
        "format": "",
        "description": "CreationTimestamp is a timestamp representing the server time when this object was created.",
        "priority": 0,
    },
]

_NAMESPACE_VERBS = ["get", "list", "watch"]


def status(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "details": details or {},
        "code": code,
    }


@dataclass(frozen=True)
class Wanted:
    """What the client's Accept header asked for, first acceptable media type wins."""

    table_version: str | None = None
    discovery_version: str | None = None
    media_type: str = JSON


def negotiate(accept: str) -> Wanted:
    for raw in accept.split(","):
        base, *params = (part.strip() for part in raw.split(";"))
        options = dict(p.split("=", 1) for p in params if "=" in p)
        if base not in (JSON, "*/*", "application/*"):
            continue
        kind, group, version = options.get("as"), options.get("g"), options.get("v")
        if kind is None:
            return Wanted()
        if kind == "Table" and group == "meta.k8s.io" and version in _TABLE_VERSIONS:
            return Wanted(table_version=version)
        if kind == "APIGroupDiscoveryList" and group == _DISCOVERY_GROUP and version in _DISCOVERY_VERSIONS:
            media = f"{JSON};g={_DISCOVERY_GROUP};v={version};as=APIGroupDiscoveryList"
            return Wanted(discovery_version=version, media_type=media)
    return Wanted()


def truthy(query: dict[str, list[str]], name: str) -> bool:
    return query.get(name, [""])[-1].lower() in ("1", "true")


def version_json() -> dict[str, str]:
    return {
        "major": "1",
        "minor": "32",
        "gitVersion": GIT_VERSION,
        "gitCommit": "0" * 40,
        "gitTreeState": "clean",
        "buildDate": "2024-12-11T18:00:00Z",
        "goVersion": "go1.23.3",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def core_resources() -> list[dict[str, Any]]:
    return [
        {
            "name": "namespaces",
            "singularName": "namespace",
            "namespaced": False,
            "kind": "Namespace",
            "verbs": _NAMESPACE_VERBS,
            "shortNames": ["ns"],
        }
    ]


def discovery(version: str, core: bool) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    if core:
        items.append(
            {
                "metadata": {"creationTimestamp": None},
                "versions": [
                    {
                        "version": "v1",
                        "resources": [
                            {
                                "resource": "namespaces",
                                "responseKind": {"group": "", "version": "v1", "kind": "Namespace"},
                                "scope": "Cluster",
                                "singularResource": "namespace",
                                "verbs": _NAMESPACE_VERBS,
                                "shortNames": ["ns"],
                            }
                        ],
                        "freshness": "Current",
                    }
                ],
            }
        )
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": f"{_DISCOVERY_GROUP}/{version}",
        "metadata": {},
        "items": items,
    }


class Namespaces:
    """The built-in namespaces of one cluster and their resource versions (a watch bumps them)."""

    def __init__(self, cluster_name: str) -> None:
        self.cluster_name = cluster_name
        self._lock = threading.Lock()
        self.created = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        self._resource_version = 100
        self._versions = dict.fromkeys(NAMESPACES, self._resource_version)

    def get(self, name: str) -> dict[str, Any]:
        with self._lock:
            version = self._versions[name]
        return {
            "kind": "Namespace",
            "apiVersion": "v1",
            "metadata": {
                "name": name,
                "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"localdcos:{self.cluster_name}:namespace:{name}")),
                "resourceVersion": str(version),
                "creationTimestamp": _timestamp(self.created),
                "labels": {"kubernetes.io/metadata.name": name},
            },
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        }

    def touch(self, name: str) -> dict[str, Any]:
        with self._lock:
            self._resource_version += 1
            self._versions[name] = self._resource_version
        return self.get(name)

    def list_version(self) -> str:
        with self._lock:
            return str(self._resource_version)

    def table(
        self, namespaces: list[dict[str, Any]], version: str, include: str, resource_version: str
    ) -> dict[str, Any]:
        now = datetime.datetime.now(datetime.UTC)
        rows = []
        for ns in namespaces:
            row: dict[str, Any] = {
                "cells": [ns["metadata"]["name"], ns["status"]["phase"], _age(self.created, now)]
            }
            if include == "Object":
                row["object"] = ns
            elif include != "None":
                row["object"] = {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": f"meta.k8s.io/{version}",
                    "metadata": ns["metadata"],
                }
            rows.append(row)
        return {
            "kind": "Table",
            "apiVersion": f"meta.k8s.io/{version}",
            "metadata": {"resourceVersion": resource_version},
            "columnDefinitions": _NAMESPACE_COLUMNS,
            "rows": rows,
        }
