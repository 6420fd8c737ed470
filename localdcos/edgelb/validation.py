"""Edge-LB's semantic pool checks (its V2CheckPool), run after binding; failures are HTTP 400.

The order of checks matters: the first failing one is the message a client sees.
"""

from __future__ import annotations

import re

from localdcos.edgelb.model import Backend, Endpoint, Frontend, Haproxy, Service, V2Pool

NAME_REGEX = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"
# Only the ends are checked here; every "/" segment must also pass NAME_REGEX.
NAMESPACE_REGEX = r"^[a-z0-9](.*[a-z0-9])?$"
SECRET_FILE_REGEX = r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$"  # noqa: S105 - a file-name rule, not a secret
CERTIFICATE_REGEX = r"(^\$AUTOCERT$|^(\$ENVFILE|\$SECRETS)/[a-zA-Z0-9_-]+$)"


class PoolInvalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _empty(what: str) -> PoolInvalid:
    return PoolInvalid(f"{what} cannot be empty or the empty string")


def _mismatch(value: str, regex: str) -> str:
    return f"{value} invalid: did not match {regex}"


def _check_name(name: str) -> str | None:
    # Go's regexp `$` only matches at the very end (no trailing-newline leniency), hence fullmatch.
    return None if re.fullmatch(NAME_REGEX[1:-1], name) else _mismatch(name, NAME_REGEX)


def _check_namespace(ns: str) -> str | None:
    if ns == "":
        return None
    if not re.fullmatch(NAMESPACE_REGEX[1:-1], ns):
        return _mismatch(ns, NAMESPACE_REGEX)
    for segment in ns.split("/"):
        if err := _check_name(segment):
            return err
    return None


def _check_port(what: str, port: int) -> None:
    if port < 0 or port > 65535:
        raise PoolInvalid(f"invalid {what}: {port}")


def _go_quote_char(ch: str) -> str:
    return "'\\''" if ch == "'" else f"'{ch}'"


def check_pool(pool: V2Pool) -> None:
    """Raise PoolInvalid with Edge-LB's message for the first rule `pool` breaks."""
    if pool.name == "":
        raise _empty("pool.name")
    if err := _check_name(pool.name):
        raise PoolInvalid(f"pool.name: {err}")
    if err := _check_namespace(pool.namespace):
        raise PoolInvalid(f"pool.namespace: {err}")
    _check_bind_ports(pool)
    _check_secrets(pool)
    _check_virtual_networks(pool)
    _check_haproxy(pool.haproxy)


def _check_bind_ports(pool: V2Pool) -> None:
    seen: set[int] = set()
    for port in pool.bind_ports():
        _check_port("bindPort", port)
        if port in seen:
            raise PoolInvalid(f"duplicate bindPort: {port}")
        seen.add(port)


def _check_secrets(pool: V2Pool) -> None:
    names: set[str] = set()
    files: set[str] = set()
    for sc in pool.secrets:
        if sc.secret == "":
            raise _empty("pool.secrets.secret")
        if sc.file == "":
            raise _empty("pool.secrets.file")
        if not re.fullmatch(SECRET_FILE_REGEX[1:-1], sc.file):
            raise PoolInvalid(f"pool.secrets.file: {_mismatch(sc.file, SECRET_FILE_REGEX)}")
        if sc.secret in names:
            raise PoolInvalid(f"duplicate secret name: {sc.secret}")
        names.add(sc.secret)
        if sc.file in files:
            raise PoolInvalid(f"duplicate secret file: {sc.file}")
        files.add(sc.file)


def _check_virtual_networks(pool: V2Pool) -> None:
    names: set[str] = set()
    for net in pool.virtual_networks:
        if net.name == "":
            raise _empty("pool.virtualNetworks.name")
        if net.name in names:
            raise PoolInvalid(f"duplicate virtualNetwork name: {net.name}")
        names.add(net.name)


def _check_haproxy(hap: Haproxy) -> None:
    frontend_names: set[str] = set()
    referenced: set[str] = set()
    for fe in hap.frontends:
        name = fe.effective_name()
        if name in frontend_names:
            raise PoolInvalid(f"duplicate frontend.name: {name}")
        frontend_names.add(name)
        referenced.add(fe.link_backend.default_backend)
        referenced.update(item.backend for item in fe.link_backend.map_)
    referenced.discard("")

    backend_names: set[str] = set()
    for be in hap.backends:
        if be.name in backend_names:
            raise PoolInvalid(f"duplicate backend.name: {be.name}")
        backend_names.add(be.name)

    for fe in hap.frontends:
        _check_frontend(fe)
    for be in hap.backends:
        _check_backend(be)

    # Edge-LB lists these in Go map order (random); sorted is one of its possible answers.
    if missing := sorted(referenced - backend_names):
        raise PoolInvalid(f"frontends refer to nonexistent backends: {', '.join(missing)}")
    if unreferenced := sorted(backend_names - referenced):
        raise PoolInvalid(f"frontends do not refer to these backends: {', '.join(unreferenced)}")


def _check_frontend(fe: Frontend) -> None:
    bad = next((c for c in fe.bind_address if c in "*[]"), None)
    if bad is not None:
        raise PoolInvalid(f"frontend.bindAddress invalid character: {_go_quote_char(bad)}")
    if fe.protocol == "":
        raise _empty("frontend.protocol")
    if fe.protocol in ("HTTPS", "TLS"):
        if not fe.certificates:
            raise PoolInvalid(f"frontend.protocol {fe.protocol} must have non-empty frontend.certificates")
        for cert in fe.certificates:
            if not re.search(CERTIFICATE_REGEX, cert) or "\n" in cert:
                raise PoolInvalid(f"frontend.certificates: {_mismatch(cert, CERTIFICATE_REGEX)}")
    if fe.redirect_to_https is not None and fe.protocol != "HTTP":
        raise PoolInvalid(f"frontend.redirectToHttps cannot be set with frontend.protocol {fe.protocol}")
    for item in fe.link_backend.map_:
        if item.backend == "":
            raise _empty("frontend.linkBackend.map.backend")
        if not item.has_condition():
            raise PoolInvalid(
                "frontend.linkBackend.map.backend: at least one of the condition fields must be filled out"
            )


def _check_backend(be: Backend) -> None:
    if be.name == "":
        raise _empty("backend.name")
    if be.protocol == "":
        raise _empty("backend.protocol")
    path = be.rewrite_http.path
    if path is not None and path.from_path.endswith("/") != path.to_path.endswith("/"):
        raise PoolInvalid(
            f"backend.rewriteHttp.path: fromPath '{path.from_path}' toPath '{path.to_path}' ending mismatch: "
            "either both end with '/' or neither end with '/'"
        )
    if not be.services:
        raise PoolInvalid("backend.services: must have at least 1")
    for svc in be.services:
        _check_service(svc)


def _check_endpoint(ep: Endpoint) -> None:
    if ep.type == "ADDRESS":
        if ep.address == "":
            raise _empty("server.endpoint.address")
        if ep.port < 0:
            raise PoolInvalid(f"server.endpoint.type {ep.type} must have valid server.port specified")
        return
    if ep.port_name == "" and not ep.all_ports and not 0 <= ep.port <= 65535:
        raise PoolInvalid(
            f"server.endpoint.type {ep.type} must have valid port, portName, portNamePattern, or true allPorts"
        )


def _check_service(svc: Service) -> None:
    _check_endpoint(svc.endpoint)
    if svc.endpoint.type == "ADDRESS":
        return
    m = svc.marathon
    marathon_err = None if (m.service_id or m.service_id_pattern) else "server.marathon.serviceID"
    s = svc.mesos
    mesos_err = None
    if not (s.framework_name or s.framework_name_pattern or s.framework_id or s.framework_id_pattern):
        mesos_err = "server.mesos.FrameworkName and server.mesos.FrameworkID"
    elif not (s.task_name or s.task_name_pattern or s.task_id or s.task_id_pattern):
        mesos_err = "server.mesos.TaskName and server.mesos.TaskID"
    if marathon_err and mesos_err:
        suffix = "cannot be empty or the empty string"
        raise PoolInvalid(
            f"server.marathon or server.mesos must be specified, {marathon_err} {suffix}, {mesos_err} {suffix}"
        )


def namespace_change_error(name: str, old_ns: str, new_ns: str) -> str | None:
    """Edge-LB refuses to move a stored pool to another namespace (it cannot await uninstall)."""
    if old_ns == new_ns:
        return None
    return (
        f"changing namespace currently not supported: please uninstall pool {name} with namespace {old_ns}, "
        f"wait for the pool to completely uninstall, and then re-install pool {name} with the new namespace "
        f"{new_ns}"
    )
