"""The `pulumi-python` resource plugin's server: hosts every Python dynamic provider of a program.

Does what the SDK's `python -m pulumi.dynamic` does (the provider is the dill pickle in the
`__provider` property, unpickled and configured once per process; the SDK's own serialization of
properties), with two differences:
- a thread pool large enough never to be the bottleneck (the SDK's has 4 threads, so a create that
  waits for a deployment holds a quarter of the plugin); the engine bounds concurrency with
  `--parallel`. `PULUMI_DYNAMIC_PROVIDER_THREADS` overrides the default of 64.
- an exception that is a `pulumi.RunError` reaches the engine as its message alone: the providers
  raise those for expected failures the user can act on. Any other keeps its full traceback.

Started by `pulumi-resource-pulumi-python` with the project's interpreter, in the program directory,
with the engine address as its first non-flag argument (left in sys.argv for providers to read).
"""

# ruff: noqa: N802 - the servicer's method names are the gRPC service's
from __future__ import annotations

import asyncio
import base64
import os
import sys
import threading
import traceback
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import dill  # type: ignore[import-untyped]
import grpc  # type: ignore[import-untyped]
import pulumi
from google.protobuf import empty_pb2  # type: ignore[import-untyped]
from pulumi.dynamic import Config, ConfigureRequest, ResourceProvider
from pulumi.metadata import get_project
from pulumi.runtime import Settings, configure, proto, rpc
from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
from pulumi.runtime._serialization import _deserialize

PROVIDER_KEY = "__provider"
DEFAULT_THREADS = 64
Result = TypeVar("Result")

_providers: dict[str, ResourceProvider] = {}
_providers_lock = threading.Lock()


def provider_for(props: dict[str, Any], config: dict[str, Any]) -> ResourceProvider:
    """The provider pickled in `props`, unpickled and configured once per process. One lock for all:
    concurrent `dill.loads` of the same classes is what broke refreshes upstream (pulumi#5621)."""
    # The SDK's settings live per thread (context); every gRPC worker needs them set.
    configure(
        Settings(
            project=os.environ.get("PULUMI_PROJECT", "project"), stack="stack", organization="organization"
        )
    )
    pickled: str = props[PROVIDER_KEY]
    provider = _providers.get(pickled)
    if provider is not None:
        return provider
    with _providers_lock:
        provider = _providers.get(pickled)
        if provider is None:
            provider = _deserialize(lambda: dill.loads(base64.b64decode(pickled)))  # noqa: S301 - our own program's provider
            provider.configure(ConfigureRequest(config=Config(raw_config=config, project_name=get_project())))
            _providers[pickled] = provider
    return provider


def serialize(values: dict[str, Any]) -> Any:
    return run(rpc.serialize_properties(values, {}))


def run(coroutine: Coroutine[Any, Any, Result]) -> Result:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()


def reported(method: Callable[[Any, Any, Any], Any]) -> Callable[[Any, Any, Any], Any]:
    """A provider's exception as the RPC's error: a RunError by its message, anything else with
    the traceback (a bug to fix, not a message to read)."""

    def wrapper(self: Any, request: Any, context: Any) -> Any:
        try:
            return method(self, request, context)
        except pulumi.RunError as error:
            context.abort(grpc.StatusCode.UNKNOWN, str(error))
        except Exception:
            context.abort(grpc.StatusCode.UNKNOWN, traceback.format_exc())

    wrapper.__name__ = method.__name__
    return wrapper


class DynamicProviderHost(proto.ResourceProviderServicer):
    """Unimplemented RPCs (CheckConfig, DiffConfig, Invoke, GetSchema, ...) answer UNIMPLEMENTED from
    the generated base class, which the engine takes as "not supported", as upstream."""

    def __init__(self) -> None:
        self.config: dict[str, Any] = {}

    def Configure(self, request: Any, context: Any) -> Any:
        # The whole stack config, decrypted; kept for the providers' configure().
        config = rpc.deserialize_properties(request.args)
        self.config = {key: rpc.unwrap_rpc_secret(value) for key, value in config.items()}
        return proto.ConfigureResponse(acceptSecrets=False)

    def GetPluginInfo(self, request: Any, context: Any) -> Any:
        return proto.PluginInfo(version="0.1.0")

    def Cancel(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()

    @reported
    def Check(self, request: Any, context: Any) -> Any:
        olds = rpc.deserialize_properties(request.olds, True)
        news = rpc.deserialize_properties(request.news, True)
        provider = provider_for(news if PROVIDER_KEY in news else olds, self.config)
        result = provider.check(olds, news)
        inputs = {**result.inputs, PROVIDER_KEY: news[PROVIDER_KEY]}
        failures = [proto.CheckFailure(property=f.property, reason=f.reason) for f in result.failures or []]
        return proto.CheckResponse(inputs=serialize(inputs), failures=failures)

    @reported
    def Diff(self, request: Any, context: Any) -> Any:
        olds = rpc.deserialize_properties(request.olds, True)
        news = rpc.deserialize_properties(request.news, True)
        provider = provider_for(news if PROVIDER_KEY in news else olds, self.config)
        result = provider.diff(request.id, olds, news)
        fields: dict[str, Any] = {"changes": proto.DiffResponse.DIFF_UNKNOWN}
        if result.changes is not None:
            fields["changes"] = (
                proto.DiffResponse.DIFF_SOME if result.changes else proto.DiffResponse.DIFF_NONE
            )
        if result.replaces is not None:
            fields["replaces"] = result.replaces
        if result.delete_before_replace is not None:
            fields["deleteBeforeReplace"] = result.delete_before_replace
        return proto.DiffResponse(**fields)

    @reported
    def Create(self, request: Any, context: Any) -> Any:
        props = rpc.deserialize_properties(request.properties)
        result = provider_for(props, self.config).create(props)
        outs = {**(result.outs or {}), PROVIDER_KEY: props[PROVIDER_KEY]}
        return proto.CreateResponse(id=result.id, properties=serialize(outs))

    @reported
    def Read(self, request: Any, context: Any) -> Any:
        # Refresh sends the prior outputs; a `get` sends only inputs.
        props = rpc.deserialize_properties(request.properties)
        if not props and request.inputs is not None:
            props = rpc.deserialize_properties(request.inputs)
        result = provider_for(props, self.config).read(request.id, props)
        outs = {**(result.outs or {}), PROVIDER_KEY: props[PROVIDER_KEY]}
        fields: dict[str, Any] = {"id": result.id, "properties": serialize(outs)}
        if result.inputs is not None:
            fields["inputs"] = serialize({**result.inputs, PROVIDER_KEY: props[PROVIDER_KEY]})
        return proto.ReadResponse(**fields)

    @reported
    def Update(self, request: Any, context: Any) -> Any:
        olds = rpc.deserialize_properties(request.olds)
        news = rpc.deserialize_properties(request.news)
        result = provider_for(news, self.config).update(request.id, olds, news)
        outs = {**(result.outs or {}), PROVIDER_KEY: news[PROVIDER_KEY]}
        return proto.UpdateResponse(properties=serialize(outs))

    @reported
    def Delete(self, request: Any, context: Any) -> Any:
        props = rpc.deserialize_properties(request.properties)
        provider_for(props, self.config).delete(request.id, props)
        return empty_pb2.Empty()


def thread_count() -> int:
    value = os.environ.get("PULUMI_DYNAMIC_PROVIDER_THREADS", "")
    if not value:
        return DEFAULT_THREADS
    if not value.isdigit() or int(value) < 1:
        raise SystemExit(f"PULUMI_DYNAMIC_PROVIDER_THREADS must be a positive integer, not {value!r}")
    return int(value)


def main() -> None:
    # As under `python -m pulumi.dynamic`: modules of the program directory are importable (providers
    # pickled by reference from there), this script's own folder is not on the path.
    sys.path[0] = os.getcwd()
    server = grpc.server(ThreadPoolExecutor(max_workers=thread_count()), options=_GRPC_CHANNEL_OPTIONS)
    proto.provider_pb2_grpc.add_ResourceProviderServicer_to_server(DynamicProviderHost(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    parent = os.getppid()
    stop = threading.Event()
    orphaned = False
    try:
        # The engine is our parent; once it is gone nobody will call us again.
        while not stop.wait(1.0):
            if os.getppid() != parent:
                orphaned = True
                break
    except KeyboardInterrupt:
        pass
    server.stop(0)
    if orphaned:
        # The engine was killed: no one will receive what a call still running answers, and it
        # must not go on changing the cluster (a rollback racing the next `pulumi up`). What it
        # made carries its owner's marker; the next run takes it over.
        os._exit(1)


if __name__ == "__main__":
    main()
