"""Consume a dcos-kubernetes-api stack: its URL, and a kubeconfig built from its outputs.

Config:
  exposureStack   the producing stack, e.g. `organization/dcos-kubernetes-api/dev` (required)
  frontendCaPem   PEM of the CA that signed the load balancer's certificate (optional)
  token           (secret) a Kubernetes bearer token for the kubeconfig's user (optional)

Nothing is printed: the kubeconfig is exported as a secret, whether or not it holds a token.
"""

from __future__ import annotations

import base64
from typing import Any

import pulumi
import yaml

config = pulumi.Config()
producer = pulumi.StackReference(config.require("exposureStack"))
frontend_ca_pem = config.get("frontendCaPem")
token = config.get_secret("token")


def build_kubeconfig(
    url: str | None, cluster_name: str, self_signed: bool, tls_note: str, bearer: str | None
) -> str | None:
    if url is None:
        # The producer has no publicHost: there is no address a client could use.
        return None
    name = cluster_name.replace("/", "-")
    cluster: dict[str, Any] = {"server": url}
    if frontend_ca_pem is not None:
        cluster["certificate-authority-data"] = base64.b64encode(frontend_ca_pem.encode()).decode()
        note = "The frontend certificate is verified against frontendCaPem."
    else:
        # Same decision as the producer: a self-signed frontend cannot be verified; say so in the file.
        if self_signed:
            cluster["insecure-skip-tls-verify"] = True
        note = tls_note
    context: dict[str, Any] = {"cluster": name}
    users: list[dict[str, Any]] = []
    if bearer is not None:
        context["user"] = name
        users.append({"name": name, "user": {"token": bearer}})
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster}],
        "users": users,
        "contexts": [{"name": name, "context": context}],
        "current-context": name,
    }
    return f"# {note}\n" + yaml.safe_dump(document, sort_keys=False)


url = producer.require_output("url")
kubeconfig = pulumi.Output.all(
    url,
    producer.require_output("clusterName"),
    producer.require_output("frontendSelfSigned"),
    producer.require_output("tlsNote"),
    token,
).apply(lambda v: build_kubeconfig(v[0], v[1], v[2], v[3], v[4]))

pulumi.export("url", url)
pulumi.export("vipHost", producer.require_output("vipHost"))
pulumi.export("kubeconfig", pulumi.Output.secret(kubeconfig))
