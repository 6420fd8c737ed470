"""kubernetes-cluster services as a package install makes them: the scheduler's Marathon app, its
Mesos framework with the control-plane task, the apiserver VIP and (with `--haproxy`) a fake
apiserver behind it; added and removed while the sandbox runs (`/_localdcos/clusters`, and the
`python -m localdcos cluster ...` commands that call it)."""

from localdcos.clusters.service import ClusterNetwork, KubernetesClusters

__all__ = ["ClusterNetwork", "KubernetesClusters"]
