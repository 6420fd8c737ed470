"""N no-op dynamic resources (config `count`), one of them with the input `value` (config)."""

import pulumi
from noop_provider import NoOp
from pulumi.dynamic import Resource


class NoOpResource(Resource):
    pass


config = pulumi.Config()
value = config.get("value") or "a"
for index in range(config.require_int("count")):
    NoOpResource(NoOp(), f"noop-{index}", {"value": value if index == 0 else "a"})
