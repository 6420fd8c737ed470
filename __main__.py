"""Expose the Kubernetes API of the DC/OS kubernetes-cluster services listed in the stack config.

Config (project namespace; see components/config.py): exactly one of `clusters`, `cluster` or
`clusterFrom`, plus the optional secret `kubeconfigToken` for the first cluster's kubeconfig.
The DC/OS connection (`dcos:url`, `dcos:token`, ...) is read by the provider, not here.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components import KubernetesApiExposure
from components.config import (
    PROGRAM_KEYS,
    TOKEN_KEY,
    ClusterFromConfig,
    ConfigError,
    ProgramConfig,
    check_exposures,
    parse_program_config,
)
from components.names import flat_name


def _load(config: pulumi.Config) -> ProgramConfig:
    try:
        program = parse_program_config({key: config.get_object(key) for key in PROGRAM_KEYS}, config.name)
        check_exposures(program, config.name)
    except ConfigError as error:
        # RunError: the CLI shows the message alone, without a Python traceback.
        raise pulumi.RunError(str(error)) from None
    return program


def _referenced_cluster_name(source: ClusterFromConfig) -> pulumi.Output[str]:
    def as_name(value: Any) -> str:
        if not isinstance(value, str):
            raise pulumi.RunError(
                f"clusterFrom: output {source.output!r} of stack {source.stack!r} must be a string, "
                f"got {type(value).__name__}"
            )
        return value

    reference = pulumi.StackReference(source.stack)
    return reference.require_output(source.output).apply(as_name)


def _exposures(
    program: ProgramConfig, token: pulumi.Output[str] | None
) -> list[tuple[KubernetesApiExposure, str]]:
    """One component per cluster, with its `via`; the token goes to the first cluster's kubeconfig."""
    exposures: list[tuple[KubernetesApiExposure, str]] = []
    for _path, entry in program.named_clusters():
        args = entry.to_args(entry.name)
        if token is not None and not exposures:
            args["kubeconfig_token"] = token
        exposures.append((KubernetesApiExposure(flat_name(entry.name), args), entry.effective_via()))
    if program.cluster_from is not None:
        source = program.cluster_from
        args = source.to_args(_referenced_cluster_name(source))
        if token is not None:
            args["kubeconfig_token"] = token
        exposures.append((KubernetesApiExposure(source.component_name(), args), source.effective_via()))
    return exposures


def _summary(exposure: KubernetesApiExposure, via: str) -> pulumi.Output[tuple[str, dict[str, Any]]]:
    id_key, id_output = (
        ("appId", exposure.app_id) if via == "marathon-lb" else ("poolName", exposure.pool_name)
    )
    return pulumi.Output.all(
        exposure.cluster_name, exposure.url, id_output, exposure.vip_host, exposure.via
    ).apply(lambda v: (v[0], {"url": v[1], id_key: v[2], "vipHost": v[3], "via": v[4]}))


def main() -> None:
    config = pulumi.Config()
    program = _load(config)
    token = config.get_secret(TOKEN_KEY)
    exposures = _exposures(program, token)
    summaries = [_summary(exposure, via) for exposure, via in exposures]
    pulumi.export("exposures", pulumi.Output.all(*summaries).apply(dict))
    first = exposures[0][0]
    pulumi.export("clusterName", first.cluster_name)
    pulumi.export("url", first.url)
    pulumi.export("vipHost", first.vip_host)
    pulumi.export("kubeconfig", first.kubeconfig)
    pulumi.export("frontendSelfSigned", first.frontend_self_signed)
    pulumi.export("tlsNote", first.tls_note)


main()
