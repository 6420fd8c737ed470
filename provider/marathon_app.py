"""MarathonApp: one Marathon app as a Pulumi resource (the dummy app that drives Marathon-LB)."""

from __future__ import annotations

import threading
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
from .http import DcosApiError
from .marathon_api import AppExists, MarathonClient
from .marathon_model import MarathonAppDefinition, canonical_app_id, definition_problems
from .marathon_normalize import differs, live_view, request_body
from .unknowns import contains_unknown

DEFAULT_WAIT_TIMEOUT_SECONDS = 300.0
#: Inputs that steer the provider and never reach Marathon.
BEHAVIOUR_INPUTS = ("force", "adopt", "wait_timeout_seconds")


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

    # -- check ---------------------------------------------------------------------------------------
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        props = user_props(news)
        props.setdefault("force", False)
        props.setdefault("adopt", False)
        props.setdefault("wait_timeout_seconds", DEFAULT_WAIT_TIMEOUT_SECONDS)
        problems = definition_problems(props.get("definition")) + knob_problems(props, ("force", "adopt"))
        definition = props.get("definition")
        if not problems and isinstance(definition, dict) and isinstance(definition.get("id"), str):
            props["definition"] = {**definition, "id": canonical_app_id(definition["id"])}
        return CheckResult(props, [CheckFailure(path, rule) for path, rule in problems])

    # -- diff ----------------------------------------------------------------------------------------
    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        old, new = user_props(olds), user_props(news)
        old_definition, new_definition = old.get("definition") or {}, new.get("definition")
        new_id = new_definition.get("id") if isinstance(new_definition, dict) else None
        if isinstance(new_id, str) and canonical_app_id(new_id) != old.get("app_id"):
            return DiffResult(changes=True, replaces=["definition"], delete_before_replace=False)
        knobs_changed = any(old.get(k) != new.get(k) for k in BEHAVIOUR_INPUTS)
        if not isinstance(new_definition, dict) or contains_unknown(new_definition):
            return DiffResult(changes=True)
        return DiffResult(changes=knobs_changed or self._drifted(old_definition, new_definition, old))

    def _drifted(
        self, old_definition: dict[str, Any], new_definition: dict[str, Any], old: dict[str, Any]
    ) -> bool:
        """Compares with the live app; when the cluster cannot be asked, with the last known state."""
        try:
            client = self._client()
            live = client.get_app(str(old.get("app_id")))
            if live is None:
                return True
            return differs(new_definition, live, self._marathon_version(client))
        except (DcosApiError, ValueError) as error:
            progress(
                str(old.get("app_id")),
                f"cannot read the live app ({error}); comparing with the last known state",
            )
            return bool(old_definition != new_definition)

    # -- create / update / delete --------------------------------------------------------------------
    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = user_props(props)
        definition = request_body(inputs["definition"])
        app_id = definition["id"]
        client = self._client()
        try:
            change = client.create_app(definition, force=bool(inputs["force"]))
            progress(app_id, f"created, waiting for deployment {change.deployment_id}")
        except AppExists:
            if not inputs["adopt"]:
                raise Exception(
                    f"app {app_id} already exists on the cluster and this stack does not manage it; "
                    "set adopt=True to take it over (its definition will be replaced by this one)"
                ) from None
            change = client.replace_app(definition, force=bool(inputs["force"]))
            progress(app_id, f"adopted the existing app, waiting for deployment {change.deployment_id}")
            return CreateResult(app_id, self._settle(client, inputs, change.deployment_id))
        try:
            return CreateResult(app_id, self._settle(client, inputs, change.deployment_id))
        except Exception as error:
            # A failed create leaves nothing in the stack's state: remove what this call created so
            # the cluster does not keep an app no stack owns, and the next `pulumi up` starts clean.
            client.delete_app(app_id)
            client.wait_until_gone(app_id, float(inputs["wait_timeout_seconds"]))
            raise Exception(
                f"{error} (the app was removed again; fix the cause and run `pulumi up` again)"
            ) from None

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = user_props(news)
        definition = request_body(inputs["definition"])
        client = self._client()
        change = client.replace_app(definition, force=bool(inputs["force"]))
        progress(definition["id"], f"updating, waiting for deployment {change.deployment_id}")
        return UpdateResult(self._settle(client, inputs, change.deployment_id))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        state = user_props(props)
        app_id = str(state.get("app_id") or _id)
        client = self._client()
        change = client.delete_app(app_id)
        if change is None:
            progress(app_id, "already gone")
            return
        timeout = float(state.get("wait_timeout_seconds") or DEFAULT_WAIT_TIMEOUT_SECONDS)
        progress(app_id, f"deleting, waiting for deployment {change.deployment_id}")
        client.wait_for_deployment(app_id, change.deployment_id, timeout, lambda m: progress(app_id, m))
        client.wait_until_gone(app_id, timeout)

    def _settle(self, client: MarathonClient, inputs: dict[str, Any], deployment_id: str) -> dict[str, Any]:
        """Waits for the deployment, checks the tasks really run, and returns the full output set."""
        app_id = canonical_app_id(inputs["definition"]["id"])
        timeout = float(inputs["wait_timeout_seconds"])
        client.wait_for_deployment(app_id, deployment_id, timeout, lambda m: progress(app_id, m))
        live = client.get_app(app_id)
        if live is None:
            raise Exception(f"app {app_id} vanished while its deployment {deployment_id} ran")
        running, wanted = live.get("tasksRunning", 0), live.get("instances", 0)
        if running < wanted:
            failure = (live.get("lastTaskFailure") or {}).get("message")
            raise Exception(
                f"deployment {deployment_id} of {app_id} ended with {running}/{wanted} tasks running"
                + (f"; last task failure: {failure}" if failure else "")
            )
        progress(app_id, f"deployment {deployment_id} finished, {running}/{wanted} tasks running")
        return self._outputs(inputs, live, deployment_id, self._marathon_version(client))

    @staticmethod
    def _outputs(
        inputs: dict[str, Any], live: dict[str, Any], deployment_id: str | None, version: str
    ) -> dict[str, Any]:
        return {
            **inputs,
            "definition": live_view(inputs.get("definition"), live, version),
            "app_id": live["id"],
            "version": live.get("version"),
            "deployment_id": deployment_id,
        }

    # -- read ----------------------------------------------------------------------------------------
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        state = user_props(props)
        client = self._client()
        live = client.get_app(id_)
        if live is None:
            return ReadResult(None, {})
        state.setdefault("force", False)
        state.setdefault("adopt", False)
        state.setdefault("wait_timeout_seconds", DEFAULT_WAIT_TIMEOUT_SECONDS)
        outs = self._outputs(state, live, state.get("deployment_id"), self._marathon_version(client))
        inputs = {k: outs[k] for k in ("definition", *BEHAVIOUR_INPUTS)}
        return ReadResult(id_, outs, inputs)


class MarathonApp(Resource, module="dcos", name="MarathonApp"):
    """A Marathon app managed declaratively: created, updated by full replacement, deleted."""

    app_id: pulumi.Output[str]
    version: pulumi.Output[str]
    deployment_id: pulumi.Output[str]
    definition: pulumi.Output[dict[str, Any]]
    force: pulumi.Output[bool]
    adopt: pulumi.Output[bool]
    wait_timeout_seconds: pulumi.Output[float]

    def __init__(
        self,
        resource_name: str,
        definition: pulumi.Input[Mapping[str, Any]] | MarathonAppDefinition,
        force: pulumi.Input[bool] = False,
        adopt: pulumi.Input[bool] = False,
        wait_timeout_seconds: pulumi.Input[float] = DEFAULT_WAIT_TIMEOUT_SECONDS,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if isinstance(definition, MarathonAppDefinition):
            definition = definition.model_dump(mode="json", exclude_none=True)
        super().__init__(
            MarathonAppProvider(),
            resource_name,
            {
                "definition": definition,
                "force": force,
                "adopt": adopt,
                "wait_timeout_seconds": wait_timeout_seconds,
                "app_id": None,
                "version": None,
                "deployment_id": None,
            },
            opts,
        )
