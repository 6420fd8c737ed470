"""What installing the DC/OS package `kubernetes-cluster` under a service name puts into Marathon
(spec §5; universe `repo/packages/K/kubernetes-cluster/*/marathon.json.mustache` as read): the
scheduler app `/<name>`, with the labels Cosmos and the SDK give it, and the rules a name must meet."""

from __future__ import annotations

from typing import Any

from localdcos.kube import GIT_VERSION
from localdcos.marathon.validation import id_errors

PACKAGE_NAME = "kubernetes-cluster"
PACKAGE_VERSION = "2.8.0-1.19.2"
# SDK rules on service names (spec §5): the name without slashes becomes a DNS label.
MAX_NAME_WITHOUT_SLASHES = 63
TASK_ID_DELIMITER = "__"


def service_name(raw: str) -> str:
    """The service name as Mesos and the SDK use it: as typed, without a leading or trailing `/`."""
    return raw.strip().strip("/")


def name_problems(name: str) -> list[str]:
    """Why `name` cannot be a kubernetes-cluster service name (empty when it can)."""
    if not name:
        return ["a service name must not be empty"]
    problems = [f"as a Marathon app id: {p}" for p in id_errors("/" + name)]
    if len(name.replace("/", "")) > MAX_NAME_WITHOUT_SLASHES:
        problems.append(f"Service name (without slashes) exceeds {MAX_NAME_WITHOUT_SLASHES} characters")
    if TASK_ID_DELIMITER in name:
        problems.append(f"Service name must not contain '{TASK_ID_DELIMITER}' (the task id delimiter)")
    return problems


def scheduler_app(name: str) -> dict[str, Any]:
    """The scheduler's app definition as Cosmos submits it to Marathon."""
    return {
        "id": "/" + name,
        "cmd": "./bootstrap -resolve=false -template=false && "
        "./kubernetes-cluster-scheduler/bin/kubernetes-cluster ./kubernetes-cluster-scheduler/svc.yml",
        "cpus": 1.0,
        "mem": 1024,
        "instances": 1,
        "labels": {
            "DCOS_COMMONS_API_VERSION": "v1",
            "DCOS_COMMONS_UNINSTALL": "true",
            "DCOS_PACKAGE_FRAMEWORK_NAME": name,
            "DCOS_PACKAGE_NAME": PACKAGE_NAME,
            "DCOS_PACKAGE_VERSION": PACKAGE_VERSION,
            "DCOS_SERVICE_NAME": name,
            "DCOS_SERVICE_PORT_INDEX": "0",
            "DCOS_SERVICE_SCHEME": "http",
            "KUBERNETES_VERSION": GIT_VERSION.split("-")[0],
            "MARATHON_SINGLE_INSTANCE_APP": "true",
        },
        "env": {
            "FRAMEWORK_NAME": name,
            "PACKAGE_NAME": PACKAGE_NAME,
            "PACKAGE_VERSION": PACKAGE_VERSION,
            "MARATHON_URL": "http://marathon.mesos:8080",
        },
        # One scheduler at a time: kill before start.
        "upgradeStrategy": {"minimumHealthCapacity": 0, "maximumOverCapacity": 0},
        "healthChecks": [
            {
                "protocol": "MESOS_HTTP",
                "path": "/v1/health",
                "portIndex": 0,
                "gracePeriodSeconds": 900,
                "intervalSeconds": 30,
                "timeoutSeconds": 30,
                "maxConsecutiveFailures": 0,
            }
        ],
        "portDefinitions": [
            {"port": 0, "protocol": "tcp", "name": "api", "labels": {"VIP_0": f"/api.{name}:80"}}
        ],
    }


def is_scheduler_app(app: dict[str, Any], name: str) -> bool:
    """Whether `app` is the scheduler of the kubernetes-cluster service `name`."""
    labels = app.get("labels") or {}
    return labels.get("DCOS_PACKAGE_NAME") == PACKAGE_NAME and labels.get("DCOS_SERVICE_NAME") == name
