"""One EdgeLBPool whose pool comes from stack config (JSON), so tests can change it."""

import json

import pulumi

from provider import EdgeLBPool

config = pulumi.Config()
pool = EdgeLBPool(
    # `resourceName` renames the resource (the fault suite's renamed-resource scenario).
    config.get("resourceName") or "pool",
    pool=json.loads(config.require("pool")),
    adopt=config.get_bool("adopt") or False,
    wait_timeout_seconds=config.get_float("waitTimeoutSeconds") or 30.0,
)
pulumi.export("poolName", pool.pool_name)
pulumi.export("state", pool.state)
pulumi.export("lastChange", pool.last_change)
