"""Warnings the Pulumi CLI shows and counts, sent from the provider process to the engine.

A dynamic provider's stdout only becomes info lines; a warning must go through the engine's own
`pulumirpc.Engine/Log`. The engine starts every resource plugin with its address as the first
argument that is not a flag (both `python -m pulumi.dynamic` and our own host receive it). Where no
engine answers (provider methods called directly, as in tests) warnings go to stderr.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable, Sequence

import grpc  # type: ignore[import-untyped]
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

# host:port, as the engine passes it (e.g. 127.0.0.1:41234); a URL or a test path never matches.
_ADDRESS = re.compile(r"^[A-Za-z0-9.\-\[\]:]*[A-Za-z0-9.\-\]]:\d{1,5}$")
_LOG_TIMEOUT_SECONDS = 5.0

_lock = threading.Lock()
# The engine's stub, once looked for: [] before, [stub or None] after.
_engine: list[engine_pb2_grpc.EngineStub | None] = []
#: Replaced by tests to collect warnings; called with each message instead of sending it.
sink: Callable[[str], None] | None = None


def engine_address(argv: Sequence[str]) -> str | None:
    """The first non-flag argument, when it looks like the engine's host:port."""
    for argument in argv[1:]:
        if argument.startswith("-"):
            continue
        return argument if _ADDRESS.match(argument) else None
    return None


def _stub() -> engine_pb2_grpc.EngineStub | None:
    with _lock:
        if not _engine:
            address = engine_address(sys.argv)
            _engine.append(engine_pb2_grpc.EngineStub(grpc.insecure_channel(address)) if address else None)
        return _engine[0]


def warning(message: str) -> None:
    """A warning under the current operation, counted in the CLI's summary."""
    if sink is not None:
        sink(message)
        return
    stub = _stub()
    if stub is not None:
        try:
            stub.Log(
                engine_pb2.LogRequest(severity=engine_pb2.WARNING, message=message),
                timeout=_LOG_TIMEOUT_SECONDS,
            )
            return
        except grpc.RpcError:
            pass  # the engine went away: still say it somewhere
    print(f"warning: {message}", file=sys.stderr, flush=True)


def progress(subject: str, message: str) -> None:
    # The engine shows a dynamic provider's stdout in the CLI output, under the stack.
    print(f"{subject}: {message}", flush=True)
