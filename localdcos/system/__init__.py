"""What a DC/OS master serves besides the services: Mesos-DNS (`/mesos_dns`), the version metadata
(`/dcos-metadata/dcos-version.json`) and dcos-diagnostics' node health (`/system/health/v1`): the
calls a client such as dcos-deploy makes first to check a cluster and learn its shape."""

from localdcos.system.services import Health, MesosDns, Metadata

__all__ = ["Health", "MesosDns", "Metadata"]
