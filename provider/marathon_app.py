"""MarathonApp: one Marathon app as a Pulumi resource (the dummy app that drives Marathon-LB).

`provider.marathon_app.MarathonAppProvider` is pickled by reference into every stack's state:
its import path must never change (pulumi-engine.md §4.2).
"""

from __future__ import annotations

import threading
import uuid
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

from . import diagnostics, ownership
from .base import (
    COMMON_DEFAULTS,
    DcosProvider,
    WriteSpec,
    knob_problems,
    knobs_changed,
    user_props,
    with_defaults,
)
from .errors import ProviderError
from .marathon_api import MarathonClient
from .marathon_lifecycle import AppSpec, Lifecycle, Result
from .marathon_model import MarathonAppDefinition, canonical_app_id, definition_problems
from .marathon_normalize import MARK_KEYS, differs, live_view, marker_of
from .marathon_wait import last_failure, observe, unsettled
from .ownership import owner_of, reserved_problems
from .unknowns import contains_unknown

DEFAULT_WAIT_TIMEOUT_SECONDS = 300.0
#: Inputs that steer the provider and never reach Marathon, with their defaults.
BEHAVIOUR_DEFAULTS: dict[str, Any] = {
    "force": False,
    **COMMON_DEFAULTS,
    "wait_timeout_seconds": DEFAULT_WAIT_TIMEOUT_SECONDS,
}
BEHAVIOUR_INPUTS = tuple(BEHAVIOUR_DEFAULTS)
_FLAGS = ("force", "adopt", "require_target_service")


def _spec(inputs: dict[str, Any], generation: str | None = None) -> AppSpec:
    return AppSpec(
        **WriteSpec.knobs(inputs),
        definition=inputs["definition"],
        force=bool(inputs["force"]),
        generation=generation or uuid.uuid4().hex[:12],
    )


class MarathonAppProvider(DcosProvider):
    def __init__(self) -> None:
        super().__init__()
        self._versions: dict[str, str] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("_versions", None)
        state.pop("_versions_lock", None)
        return state

    def _client(self) -> MarathonClient:
        return MarathonClient(self.http())

    def _marathon_version(self, client: MarathonClient) -> str:
        lock = self.__dict__.setdefault("_versions_lock", threading.Lock())
        with lock:
            versions: dict[str, str] = self.__dict__.setdefault("_versions", {})
            url = client.http.settings.url
            if url not in versions:
                versions[url] = client.version()
            return versions[url]

    def _lifecycle(self) -> Lifecycle:
        client = self._client()
        return Lifecycle(client, lambda: self._marathon_version(client))

    # -- check ---------------------------------------------------------------------------------------
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        props = with_defaults(user_props(news), BEHAVIOUR_DEFAULTS)
        definition = props.get("definition")
        problems = (
            definition_problems(definition)
            + knob_problems(props, _FLAGS)
            + reserved_problems(definition, "labels", "definition", MARK_KEYS)
        )
        if not problems and isinstance(definition, dict) and isinstance(definition.get("id"), str):
            props["definition"] = {**definition, "id": canonical_app_id(definition["id"])}
        return CheckResult(props, self.check_failures(props, problems, "Marathon-LB app"))

    # -- diff ----------------------------------------------------------------------------------------
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        old, new = user_props(olds), user_props(news)
        new_definition = new.get("definition")
        new_id = new_definition.get("id") if isinstance(new_definition, dict) else None
        if not isinstance(new_id, str):
            # Unknown until apply: it may well be another app.
            return DiffResult(changes=True, replaces=["definition"])
        if canonical_app_id(new_id) != old.get("app_id"):
            # Another id: the new app comes up before the old one goes.
            return DiffResult(changes=True, replaces=["definition"], delete_before_replace=False)
        # The same id can only be replaced by deleting first (`pulumi up --replace` included).
        if not isinstance(new_definition, dict) or contains_unknown(new_definition):
            return DiffResult(changes=True, delete_before_replace=True)
        # The live comparison runs first: its warnings say why a change has not settled.
        changed = self._live_differs(old, new) or knobs_changed(old, new, BEHAVIOUR_DEFAULTS)
        return DiffResult(changes=changed, delete_before_replace=True)

    def _live_differs(self, old: dict[str, Any], new: dict[str, Any]) -> bool:
        """Compares with the live app, and says why when it has not settled; when the cluster cannot
        be asked, compares with the last known state and says so."""
        app_id = str(old.get("app_id"))
        definition, owner = new["definition"], str(new.get("owner"))
        try:
            client = self._client()
            live, deployments = observe(client, app_id)
            version = self._marathon_version(client) if live is not None else ""
        except ProviderError as error:
            ownership.unreadable("app", app_id, error)
            return bool(old.get("definition") != definition or old.get("owner") != owner)
        if live is None:
            diagnostics.warning(f"app {app_id} no longer exists on the cluster; `pulumi up` creates it again")
            return True
        marker = marker_of(live)
        if ownership.taken_by_another_stack("app", app_id, marker, owner, new.get("adopt") is True):
            return True
        reason = unsettled(live, deployments)
        if reason is not None:
            diagnostics.warning(
                f"app {app_id} has not settled ({reason}{last_failure(live)}); planning an update that "
                "finishes the change or waits for it"
            )
            return True
        # The live app may already be as declared while the state is not (an update that timed
        # out, then settled): an update then only records it.
        return marker != owner or differs(definition, live, version) or old.get("definition") != definition

    # -- create / update / delete --------------------------------------------------------------------
    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = user_props(props)
        spec = _spec(inputs)
        result = self._lifecycle().create(spec)
        return CreateResult(spec.app_id, self._outputs(inputs, result, spec.generation))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs, old = user_props(news), user_props(olds)
        # A state from before generations gets one now, together with its marker.
        spec = _spec(inputs, old.get("generation"))
        result = self._lifecycle().update(spec)
        if result.deployment_id is None:
            result = Result(result.live, old.get("deployment_id"))
        return UpdateResult(self._outputs(inputs, result, spec.generation))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        state = user_props(props)
        app_id = str(state.get("app_id") or _id)
        timeout = float(state.get("wait_timeout_seconds") or DEFAULT_WAIT_TIMEOUT_SECONDS)
        self._lifecycle().delete(app_id, state.get("owner"), state.get("generation"), timeout)

    def _outputs(self, inputs: dict[str, Any], result: Result, generation: str | None) -> dict[str, Any]:
        live = result.live
        version = self._marathon_version(self._client())
        return {
            **inputs,
            "definition": live_view(inputs.get("definition"), live, version),
            "app_id": live["id"],
            "version": live.get("version"),
            "deployment_id": result.deployment_id,
            "generation": generation,
        }

    # -- read ----------------------------------------------------------------------------------------
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        state = with_defaults(user_props(props), BEHAVIOUR_DEFAULTS)
        live = self._client().get_app(id_)
        if live is None:
            return ReadResult(None, {})
        if ownership.released("app", id_, marker_of(live), str(state.get("owner"))):
            return ReadResult(None, {})
        outs = self._outputs(state, Result(live, state.get("deployment_id")), state.get("generation"))
        inputs = {k: outs[k] for k in ("definition", "owner", *BEHAVIOUR_INPUTS) if k in outs}
        return ReadResult(id_, outs, inputs)


class MarathonApp(Resource, module="dcos", name="MarathonApp"):
    """A Marathon app managed declaratively: created, updated by full replacement, deleted.

    `owner` (an output too) is this resource's marker, `<org>/<project>/<stack>#<name>`, written
    into the app's `PULUMI_OWNER` label. `target_service` names the DC/OS service the app exposes
    (`dev/kubernetes01`): preview warns when it does not run, or fails with
    `require_target_service`."""

    app_id: pulumi.Output[str]
    version: pulumi.Output[str]
    deployment_id: pulumi.Output[str]
    generation: pulumi.Output[str]
    definition: pulumi.Output[dict[str, Any]]
    owner: pulumi.Output[str]
    force: pulumi.Output[bool]
    adopt: pulumi.Output[bool]
    wait_timeout_seconds: pulumi.Output[float]
    target_service: pulumi.Output[str | None]
    require_target_service: pulumi.Output[bool]

    def __init__(
        self,
        resource_name: str,
        definition: pulumi.Input[Mapping[str, Any]] | MarathonAppDefinition,
        force: pulumi.Input[bool] = False,
        adopt: pulumi.Input[bool] = False,
        wait_timeout_seconds: pulumi.Input[float] = DEFAULT_WAIT_TIMEOUT_SECONDS,
        target_service: pulumi.Input[str] | None = None,
        require_target_service: pulumi.Input[bool] = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if isinstance(definition, MarathonAppDefinition):
            definition = definition.model_dump(mode="json", exclude_none=True)
        super().__init__(
            MarathonAppProvider(),
            resource_name,
            {
                "definition": definition,
                "owner": owner_of(resource_name),
                "force": force,
                "adopt": adopt,
                "wait_timeout_seconds": wait_timeout_seconds,
                "target_service": target_service,
                "require_target_service": require_target_service,
                "app_id": None,
                "version": None,
                "deployment_id": None,
                "generation": None,
            },
            opts,
        )
