"""check() for pools: Edge-LB's own validation (§3.5) and the traps it leaves to the pool tasks."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import ValidationError

from .edgelb_model import Backend, EdgeLBPoolDefinition, Frontend
from .projection import integral_numbers
from .unknowns import contains_unknown

# Marathon-LB's stats port: a pool whose stats bind 9090 cannot share a public agent with it,
# which is why the Kubernetes recipe moves stats to 6090.
MARATHON_LB_STATS_PORT = 9090


def _location(loc: tuple[int | str, ...]) -> str:
    return "pool" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)


def pool_problems(pool: Any) -> list[tuple[str, str]]:
    """(property path, rule) for every problem; nothing is judged while parts are still unknown."""
    if contains_unknown(pool):
        return []
    if not isinstance(pool, dict):
        return [("pool", "must be an Edge-LB V2 pool object")]
    try:
        # The engine carries every number as a float; JSON integers are what Edge-LB (Go) wants.
        model = EdgeLBPoolDefinition.model_validate(integral_numbers(pool))
    except ValidationError as error:
        return [
            (_location(tuple(e["loc"])), str(e["msg"]).removeprefix("Value error, ")) for e in error.errors()
        ]
    return _pool_rules(model)


def _port_problems(model: EdgeLBPoolDefinition) -> list[tuple[str, str]]:
    problems = []
    stats = model.haproxy.stats
    bound = [
        (f"pool.haproxy.frontends[{i}].bindPort", f.bindPort) for i, f in enumerate(model.haproxy.frontends)
    ]
    for path, port in bound:
        if not 0 <= port <= 65535:
            problems.append((path, f"invalid bindPort: {port} (must be 0..65535; it is required)"))
    if not 0 <= stats.bindPort <= 65535:
        problems.append(("pool.haproxy.stats.bindPort", f"invalid bindPort: {stats.bindPort}"))
    if stats.bindPort == MARATHON_LB_STATS_PORT:
        problems.append(
            (
                "pool.haproxy.stats.bindPort",
                "9090 (Edge-LB's default) clashes with Marathon-LB's stats port on public agents; "
                "choose another port such as 6090",
            )
        )
    counts = Counter(port for _, port in [*bound, ("stats", stats.bindPort)] if port > 0)
    for path, port in [*bound, ("pool.haproxy.stats.bindPort", stats.bindPort)]:
        if counts[port] > 1:
            problems.append(
                (path, f"duplicate bindPort: {port} (ports must be unique in a pool, stats included)")
            )
    if model.ports:
        for path, port in bound:
            if port > 0 and port not in model.ports:
                problems.append((path, f"port {port} is not in pool.ports, so the pool would not reserve it"))
    return problems


def _frontend_problems(model: EdgeLBPoolDefinition, index: int, frontend: Frontend) -> list[tuple[str, str]]:
    path = f"pool.haproxy.frontends[{index}]"
    problems = []
    if frontend.protocol in ("HTTPS", "TLS") and not frontend.certificates:
        problems.append(
            (
                f"{path}.certificates",
                f"frontend.protocol {frontend.protocol} must have non-empty frontend.certificates",
            )
        )
    if "$AUTOCERT" in frontend.certificates and not model.autoCertificate:
        problems.append(
            (
                f"{path}.certificates",
                "$AUTOCERT needs pool.autoCertificate true, or the pool tasks fail to start",
            )
        )
    if frontend.redirectToHttps is not None and frontend.protocol != "HTTP":
        problems.append(
            (f"{path}.redirectToHttps", f"cannot be set with frontend.protocol {frontend.protocol}")
        )
    for number, rule in enumerate(frontend.linkBackend.map):
        conditions = (rule.hostEq, rule.hostReg, rule.pathBeg, rule.pathEnd, rule.pathReg)
        if all(c is None for c in conditions):
            problems.append(
                (
                    f"{path}.linkBackend.map[{number}]",
                    "needs at least one condition (hostEq, hostReg, pathBeg, pathEnd, pathReg)",
                )
            )
    return problems


def _backend_problems(index: int, backend: Backend) -> list[tuple[str, str]]:
    path = f"pool.haproxy.backends[{index}]"
    if not backend.services:
        return [(f"{path}.services", "backend.services: must have at least 1")]
    problems = []
    for number, service in enumerate(backend.services):
        spath = f"{path}.services[{number}]"
        selectors = service.marathon.model_dump(exclude_none=True) or service.mesos.model_dump(
            exclude_none=True
        )
        if not selectors and service.endpoint.type != "ADDRESS":
            problems.append((spath, "server.marathon or server.mesos must be specified"))
        framework = service.mesos.frameworkName
        if framework is not None and framework.startswith("/"):
            # Mesos knows `dev/kubernetes01`, never `/dev/kubernetes01`: a leading slash matches nothing.
            problems.append(
                (
                    f"{spath}.mesos.frameworkName",
                    "must be the DC/OS service name without a leading slash (it must equal the Mesos framework name)",
                )
            )
        endpoint = service.endpoint
        if endpoint.port <= 0 and not endpoint.portName and not endpoint.allPorts:
            problems.append((f"{spath}.endpoint", "must have a valid port, portName, or allPorts true"))
        if endpoint.type == "ADDRESS" and not endpoint.address:
            problems.append((f"{spath}.endpoint.address", "is required with endpoint.type ADDRESS"))
    return problems


def _pool_rules(model: EdgeLBPoolDefinition) -> list[tuple[str, str]]:
    problems = _port_problems(model)
    haproxy = model.haproxy
    names = Counter(f.rendered_name() for f in haproxy.frontends)
    problems += [
        ("pool.haproxy.frontends", f"duplicate frontend.name: {n}") for n, c in names.items() if c > 1
    ]
    backend_names = Counter(b.name for b in haproxy.backends)
    problems += [
        ("pool.haproxy.backends", f"duplicate backend.name: {n}") for n, c in backend_names.items() if c > 1
    ]
    for index, frontend in enumerate(haproxy.frontends):
        problems += _frontend_problems(model, index, frontend)
    for index, backend in enumerate(haproxy.backends):
        problems += _backend_problems(index, backend)
    referenced = set()
    for frontend in haproxy.frontends:
        if frontend.linkBackend.defaultBackend:
            referenced.add(frontend.linkBackend.defaultBackend)
        referenced.update(rule.backend for rule in frontend.linkBackend.map)
    missing = sorted(referenced - set(backend_names))
    if missing:
        problems.append(
            ("pool.haproxy.frontends", f"frontends refer to nonexistent backends: {', '.join(missing)}")
        )
    unlinked = sorted(set(backend_names) - referenced)
    if unlinked:
        problems.append(
            ("pool.haproxy.backends", f"frontends do not refer to these backends: {', '.join(unlinked)}")
        )
    return problems
