"""No resources: exports the cluster name from stack config, as a platform stack would."""

import pulumi

pulumi.export("clusterName", pulumi.Config().require("clusterName"))
