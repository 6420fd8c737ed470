"""Expose the Kubernetes API of the DC/OS kubernetes-cluster services listed in the stack config.

Config (project namespace; see components/config.py and the README's option table): exactly one of
`clusters`, `cluster` or `clusterFrom`, plus the optional secret `kubeconfigToken` for the first
cluster's kubeconfig. The DC/OS connection (`dcos:url`, `dcos:token`, ...) is read by the provider.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pulumi

from components import Exposure, ExposureInputs, KubernetesApiExposure
from components.config import (
    PROGRAM_KEYS,
    TOKEN_KEY,
    ConfigError,
    ProgramConfig,
    ReferencedCluster,
    parse_program_config,
)


def _load(config: pulumi.Config) -> ProgramConfig:
    try:
        # The token is read plain only to be checked; it is handed on as a secret Output.
        raw = {key: config.get_object(key) for key in PROGRAM_KEYS}
        return parse_program_config(raw, token=config.get(TOKEN_KEY), project=config.name)
    except ConfigError as error:
        # RunError: the CLI shows the message alone, without a Python traceback.
        raise pulumi.RunError(str(error)) from None


def _referenced_exposure(source: ReferencedCluster) -> pulumi.Output[Exposure]:
    def resolve(name: Any) -> Exposure:
        try:
            return source.exposure_for(name)
        except ConfigError as error:
            raise pulumi.RunError(str(error)) from None

    reference = pulumi.StackReference(source.source.stack)
    return reference.require_output(source.source.output).apply(resolve)


def _inputs(program: ProgramConfig) -> list[tuple[str, ExposureInputs]]:
    """(resource name, validated inputs) per cluster; the token goes to the first cluster's kubeconfig."""
    planned = [
        (c.resource_name, ExposureInputs(c.exposure.via, c.exposure, c.frontend_ca_pem))
        for c in program.named
    ]
    if program.referenced is not None:
        source = program.referenced
        inputs = ExposureInputs(source.via, _referenced_exposure(source), source.frontend_ca_pem)
        planned.append((source.resource_name, inputs))
    if program.kubeconfig_token is not None:
        name, first = planned[0]
        planned[0] = (name, replace(first, kubeconfig_token=pulumi.Output.secret(program.kubeconfig_token)))
    return planned


def _summary(exposure: KubernetesApiExposure) -> pulumi.Output[tuple[str, dict[str, Any]]]:
    return pulumi.Output.all(
        exposure.cluster_name, exposure.url, exposure.child_id, exposure.vip_host, exposure.via
    ).apply(lambda v: (v[0], {"url": v[1], exposure.id_output: v[2], "vipHost": v[3], "via": v[4]}))


def main() -> None:
    program = _load(pulumi.Config())
    exposures = [KubernetesApiExposure(name, inputs) for name, inputs in _inputs(program)]
    pulumi.export("exposures", pulumi.Output.all(*[_summary(e) for e in exposures]).apply(dict))
    first = exposures[0]
    pulumi.export("clusterName", first.cluster_name)
    pulumi.export("url", first.url)
    pulumi.export("vipHost", first.vip_host)
    pulumi.export("kubeconfig", first.kubeconfig)
    pulumi.export("frontendSelfSigned", first.frontend_self_signed)
    pulumi.export("tlsNote", first.tls_note)


main()
