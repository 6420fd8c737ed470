"""Consume a dcos-kubernetes-api stack: its URL, and a kubeconfig built from its outputs.

Config:
  exposureStack   the producing stack, e.g. `organization/dcos-kubernetes-api/dev` (required)
  frontendCaPem   PEM of the CA that signed the load balancer's certificate (optional)
  token           (secret) a Kubernetes bearer token for the kubeconfig's user (optional)

Nothing is printed: the kubeconfig is exported as a secret, whether or not it holds a token. It is
rendered by the producer's own `components.kubeconfig`, so both make the same TLS decision.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.kubeconfig import render_kubeconfig
from components.names import flat_name

config = pulumi.Config()
producer = pulumi.StackReference(config.require("exposureStack"))
frontend_ca_pem = config.get("frontendCaPem")
token = config.get_secret("token")


def build_kubeconfig(values: list[Any]) -> str | None:
    url, cluster_name, self_signed, bearer = values
    if url is None:
        # The producer has no publicHost: there is no address a client could use.
        return None
    return render_kubeconfig(
        name=flat_name(cluster_name), url=url, self_signed=self_signed, ca_pem=frontend_ca_pem, token=bearer
    )


# A producer without publicHost exports no url (a null output is not stored): not an error here.
url = producer.get_output("url")
kubeconfig = pulumi.Output.all(
    url,
    producer.require_output("clusterName"),
    producer.require_output("frontendSelfSigned"),
    token,
).apply(build_kubeconfig)

pulumi.export("url", url)
pulumi.export("vipHost", producer.require_output("vipHost"))
pulumi.export("kubeconfig", pulumi.Output.secret(kubeconfig))
