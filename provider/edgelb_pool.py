"""EdgeLBPool: one Edge-LB V2 pool as a Pulumi resource.

`provider.edgelb_pool.EdgeLBPoolProvider` is pickled by reference into every stack's state: its
import path must never change (pulumi-engine.md §4.2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    UpdateResult,
)

from . import base, diagnostics, ownership
from .edgelb_api import EdgeLBClient
from .edgelb_lifecycle import Lifecycle, PoolSpec, Result
from .edgelb_model import EdgeLBPoolDefinition
from .edgelb_normalize import differs, live_view, marker_of, namespace_of
from .edgelb_validation import pool_problems
from .errors import ProviderError
from .ownership import owner_of, reserved_problems
from .unknowns import contains_unknown

DEFAULT_WAIT_TIMEOUT_SECONDS = 600.0
BEHAVIOUR_DEFAULTS: dict[str, Any] = {
    **base.COMMON_DEFAULTS,
    "wait_timeout_seconds": DEFAULT_WAIT_TIMEOUT_SECONDS,
}
BEHAVIOUR_INPUTS = tuple(BEHAVIOUR_DEFAULTS)
_FLAGS = ("adopt", "require_target_service")


def _spec(inputs: dict[str, Any]) -> PoolSpec:
    return PoolSpec(**base.WriteSpec.knobs(inputs), pool=dict(inputs["pool"]))


class EdgeLBPoolProvider(base.DcosProvider):
    probe_path = "/service/edgelb/ping"

    def _client(self) -> EdgeLBClient:
        return EdgeLBClient(self.http())

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        props = base.with_defaults(base.user_props(news), BEHAVIOUR_DEFAULTS)
        pool = props.get("pool")
        problems = (
            pool_problems(pool)
            + base.knob_problems(props, _FLAGS)
            + reserved_problems(pool, "environmentVariables", "pool")
        )
        return CheckResult(props, self.check_failures(props, problems, "Edge-LB pool"))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # Two pools must never hold the same ports: every replacement deletes first.
        old, new = base.user_props(olds), base.user_props(news)
        new_pool = new.get("pool")
        new_name = new_pool.get("name") if isinstance(new_pool, dict) else None
        if not isinstance(new_name, str) or new_name != old.get("pool_name"):
            return DiffResult(changes=True, replaces=["pool"], delete_before_replace=True)
        assert isinstance(new_pool, dict)
        namespace = new_pool.get("namespace")
        if contains_unknown(namespace) or namespace_of(new_pool) != namespace_of(old.get("pool") or {}):
            # Edge-LB refuses namespace changes (400): the pool must be deleted and created again.
            return DiffResult(changes=True, replaces=["pool"], delete_before_replace=True)
        if contains_unknown(new_pool):
            return DiffResult(changes=True, delete_before_replace=True)
        # The live comparison runs first: its warnings say why a change has not settled.
        changed = self._live_differs(old, new) or base.knobs_changed(old, new, BEHAVIOUR_DEFAULTS)
        return DiffResult(changes=changed, delete_before_replace=True)

    def _live_differs(self, old: dict[str, Any], new: dict[str, Any]) -> bool:
        name, pool, owner = str(old.get("pool_name")), new["pool"], str(new.get("owner"))
        try:
            client = self._client()
            live = client.pool_for_diff(name)
            plan = client.plan(name, namespace_of(live)) if live is not None else None
        except ProviderError as error:
            ownership.unreadable("pool", name, error)
            return bool(old.get("pool") != pool or old.get("owner") != owner)
        if live is None or plan is None:
            diagnostics.warning(f"pool {name} no longer exists in Edge-LB; `pulumi up` creates it again")
            return True
        marker = marker_of(live)
        if ownership.taken_by_another_stack("pool", name, marker, owner, new.get("adopt") is True):
            return True
        if not plan.complete:
            errors = f"; errors: {'; '.join(plan.errors)}" if plan.errors else ""
            diagnostics.warning(
                f"pool {name}'s deploy plan is {plan.status}, not COMPLETE{errors}; planning an update "
                "that finishes the change or waits for it"
            )
            return True
        # The live pool may already be as declared while the state is not (an update that timed
        # out, then completed): an update then only records it.
        return marker != owner or differs(pool, live) or old.get("pool") != pool

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = base.user_props(props)
        spec = _spec(inputs)
        return CreateResult(spec.name, self._outputs(inputs, Lifecycle(self._client()).create(spec)))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = base.user_props(news)
        return UpdateResult(self._outputs(inputs, Lifecycle(self._client()).update(_spec(inputs))))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        state = base.user_props(props)
        name = str(state.get("pool_name") or _id)
        timeout = float(state.get("wait_timeout_seconds") or DEFAULT_WAIT_TIMEOUT_SECONDS)
        namespace = namespace_of(state.get("pool") or {})
        Lifecycle(self._client()).delete(name, namespace, state.get("owner"), timeout)

    @staticmethod
    def _outputs(inputs: dict[str, Any], result: Result) -> dict[str, Any]:
        return {
            **inputs,
            "pool": live_view(inputs.get("pool"), result.live),
            "pool_name": result.live["name"],
            "state": result.state,
            "last_change": result.change,
        }

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        state = base.with_defaults(base.user_props(props), BEHAVIOUR_DEFAULTS)
        client = self._client()
        live = client.get_pool(id_)
        if live is None:
            return ReadResult(None, {})
        if ownership.released("pool", id_, marker_of(live), str(state.get("owner"))):
            return ReadResult(None, {})
        plan = client.plan(id_, namespace_of(live))
        outs = self._outputs(state, Result(live, plan.status, str(state.get("last_change"))))
        return ReadResult(id_, outs, {k: outs[k] for k in ("pool", "owner", *BEHAVIOUR_INPUTS) if k in outs})


class EdgeLBPool(Resource, module="dcos", name="EdgeLBPool"):
    """An Edge-LB V2 pool managed declaratively: created, replaced on update, deleted.

    `owner` (an output too) is this resource's marker, `<org>/<project>/<stack>#<name>`, kept in
    the pool's `PULUMI_OWNER` environment variable. `target_service` names the DC/OS service the
    pool exposes (`dev/kubernetes01`): preview warns when it does not run, or fails with
    `require_target_service`."""

    pool_name: pulumi.Output[str]
    state: pulumi.Output[str]
    last_change: pulumi.Output[str]
    pool: pulumi.Output[dict[str, Any]]
    owner: pulumi.Output[str]
    adopt: pulumi.Output[bool]
    wait_timeout_seconds: pulumi.Output[float]
    target_service: pulumi.Output[str | None]
    require_target_service: pulumi.Output[bool]

    def __init__(
        self,
        resource_name: str,
        pool: pulumi.Input[Mapping[str, Any]] | EdgeLBPoolDefinition,
        adopt: pulumi.Input[bool] = False,
        wait_timeout_seconds: pulumi.Input[float] = DEFAULT_WAIT_TIMEOUT_SECONDS,
        target_service: pulumi.Input[str] | None = None,
        require_target_service: pulumi.Input[bool] = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if isinstance(pool, EdgeLBPoolDefinition):
            pool = pool.model_dump(mode="json", exclude_none=True, exclude_unset=True, by_alias=True)
        super().__init__(
            EdgeLBPoolProvider(),
            resource_name,
            {
                "pool": pool,
                "owner": owner_of(resource_name),
                "adopt": adopt,
                "wait_timeout_seconds": wait_timeout_seconds,
                "target_service": target_service,
                "require_target_service": require_target_service,
                "pool_name": None,
                "state": None,
                "last_change": None,
            },
            # Every replacement deletes first, `pulumi up --replace` included (the engine asks no
            # diff() there): two pools must never hold the same ports or the same name.
            pulumi.ResourceOptions.merge(pulumi.ResourceOptions(delete_before_replace=True), opts),
        )
