"""EdgeLBPool: one Edge-LB V2 pool as a Pulumi resource."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    UpdateResult,
)

from .base import DcosProvider, knob_problems, progress, user_props
from .edgelb_api import EdgeLBClient, PoolExists
from .edgelb_model import EdgeLBPoolDefinition
from .edgelb_normalize import change_kind, differs, live_view
from .edgelb_validation import pool_problems
from .http import DcosApiError
from .projection import integral_numbers
from .unknowns import contains_unknown

DEFAULT_WAIT_TIMEOUT_SECONDS = 600.0
BEHAVIOUR_INPUTS = ("adopt", "wait_timeout_seconds")


def request_body(pool: dict[str, Any]) -> dict[str, Any]:
    """The engine carries every number as a float; Edge-LB's Go decoder refuses 1.0 for an int32."""
    return dict(integral_numbers(pool))


class EdgeLBPoolProvider(DcosProvider):
    def _client(self) -> EdgeLBClient:
        return EdgeLBClient(self.http())

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        props = user_props(news)
        props.setdefault("adopt", False)
        props.setdefault("wait_timeout_seconds", DEFAULT_WAIT_TIMEOUT_SECONDS)
        problems = pool_problems(props.get("pool")) + knob_problems(props, ("adopt",))
        return CheckResult(props, [CheckFailure(path, rule) for path, rule in problems])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        old, new = user_props(olds), user_props(news)
        new_pool = new.get("pool")
        new_name = new_pool.get("name") if isinstance(new_pool, dict) else None
        if isinstance(new_name, str) and new_name != old.get("pool_name"):
            return DiffResult(changes=True, replaces=["pool"], delete_before_replace=False)
        if not isinstance(new_pool, dict) or contains_unknown(new_pool):
            return DiffResult(changes=True)
        knobs_changed = any(old.get(k) != new.get(k) for k in BEHAVIOUR_INPUTS)
        return DiffResult(changes=knobs_changed or self._drifted(old, new_pool))

    def _drifted(self, old: dict[str, Any], new_pool: dict[str, Any]) -> bool:
        name = str(old.get("pool_name"))
        try:
            live = self._client().get_pool(name)
        except (DcosApiError, ValueError) as error:
            progress(
                f"pool {name}", f"cannot read the live pool ({error}); comparing with the last known state"
            )
            return bool(old.get("pool") != new_pool)
        return live is None or differs(new_pool, live)

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = user_props(props)
        pool = request_body(inputs["pool"])
        name = str(pool["name"])
        client = self._client()
        try:
            client.create_pool(pool)
            progress(f"pool {name}", "created, waiting for its load-balancer tasks")
        except PoolExists:
            if not inputs["adopt"]:
                raise Exception(
                    f"pool {name} already exists in Edge-LB and this stack does not manage it; "
                    "set adopt=True to take it over (its configuration will be replaced by this one)"
                ) from None
            client.replace_pool(pool)
            progress(f"pool {name}", "adopted the existing pool, waiting for its load-balancer tasks")
            return CreateResult(name, self._settle(client, inputs, "adopt"))
        try:
            return CreateResult(name, self._settle(client, inputs, "create"))
        except Exception as error:
            # Nothing reaches the stack's state after a failed create: take back what this call made.
            client.delete_pool(name)
            raise Exception(
                f"{error} (the pool was deleted again; fix the cause and run `pulumi up` again)"
            ) from None

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = user_props(news)
        old_pool = user_props(olds).get("pool") or {}
        pool = request_body(inputs["pool"])
        name = str(pool["name"])
        kind = change_kind(old_pool, pool)
        note = {
            "relaunch": "this change relaunches the pool's load-balancer tasks",
            "reload": "this change reloads HAProxy in the running load-balancer tasks",
            "none": "no configuration change; re-applying the pool",
        }[kind]
        progress(f"pool {name}", note)
        client = self._client()
        client.replace_pool(pool)
        return UpdateResult(self._settle(client, inputs, kind))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        state = user_props(props)
        name = str(state.get("pool_name") or _id)
        namespace = (state.get("pool") or {}).get("namespace")
        client = self._client()
        if not client.delete_pool(name):
            progress(f"pool {name}", "already gone")
            return
        progress(f"pool {name}", "deleted, waiting for its scheduler to uninstall")
        timeout = float(state.get("wait_timeout_seconds") or DEFAULT_WAIT_TIMEOUT_SECONDS)
        client.wait_until_uninstalled(name, namespace, timeout)

    def _settle(self, client: EdgeLBClient, inputs: dict[str, Any], change: str) -> dict[str, Any]:
        pool = inputs["pool"]
        name = str(pool["name"])
        state = client.wait_until_deployed(
            name,
            pool.get("namespace"),
            float(inputs["wait_timeout_seconds"]),
            lambda m: progress(f"pool {name}", m),
        )
        live = client.get_pool(name)
        if live is None:
            raise Exception(f"pool {name} vanished while it was being deployed")
        return self._outputs(inputs, live, state, change)

    @staticmethod
    def _outputs(
        inputs: dict[str, Any], live: dict[str, Any], state: str, change: str | None
    ) -> dict[str, Any]:
        return {
            **inputs,
            "pool": live_view(inputs.get("pool"), live),
            "pool_name": live["name"],
            "state": state,
            "last_change": change,
        }

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        state = user_props(props)
        client = self._client()
        live = client.get_pool(id_)
        if live is None:
            return ReadResult(None, {})
        state.setdefault("adopt", False)
        state.setdefault("wait_timeout_seconds", DEFAULT_WAIT_TIMEOUT_SECONDS)
        plan = client.plan_status(id_, live.get("namespace"))
        outs = self._outputs(state, live, plan[0] if plan else "NOT_STARTED", state.get("last_change"))
        return ReadResult(id_, outs, {k: outs[k] for k in ("pool", *BEHAVIOUR_INPUTS)})


class EdgeLBPool(Resource, module="dcos", name="EdgeLBPool"):
    """An Edge-LB V2 pool managed declaratively: created, replaced on update, deleted."""

    pool_name: pulumi.Output[str]
    state: pulumi.Output[str]
    last_change: pulumi.Output[str]
    pool: pulumi.Output[dict[str, Any]]
    adopt: pulumi.Output[bool]
    wait_timeout_seconds: pulumi.Output[float]

    def __init__(
        self,
        resource_name: str,
        pool: pulumi.Input[Mapping[str, Any]] | EdgeLBPoolDefinition,
        adopt: pulumi.Input[bool] = False,
        wait_timeout_seconds: pulumi.Input[float] = DEFAULT_WAIT_TIMEOUT_SECONDS,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if isinstance(pool, EdgeLBPoolDefinition):
            pool = pool.model_dump(mode="json", exclude_none=True, exclude_unset=True)
        super().__init__(
            EdgeLBPoolProvider(),
            resource_name,
            {
                "pool": pool,
                "adopt": adopt,
                "wait_timeout_seconds": wait_timeout_seconds,
                "pool_name": None,
                "state": None,
                "last_change": None,
            },
            opts,
        )
