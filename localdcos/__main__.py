"""`python -m localdcos serve ...`: run the sandbox until SIGTERM/SIGINT.
`python -m localdcos cluster add|remove|list ...`: install kubernetes-cluster services into a
running sandbox (localdcos.clusters.cli)."""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import socket
import sys
import tempfile
import typing
from pathlib import Path
from typing import Any

import uvicorn

from localdcos import pki
from localdcos.clusters import cli as cluster_cli
from localdcos.common import url_host, write_atomically
from localdcos.core.options import SandboxOptions
from localdcos.core.state import Core
from localdcos.iam import IAM
from localdcos.server import Services, create_app, node_extensions, print_ready

# Enterprise DC/OS's well-known bootstrap account, used when no identity is given.
DEFAULT_USER = ("bootstrapuser", "deleteme")
_NO_PERMISSION = "noperm"
# Option fields whose flag name differs from the field name.
_FLAG_NAMES = {"clusters": "cluster"}


def _flag(name: str) -> str:
    return "--" + _FLAG_NAMES.get(name, name).replace("_", "-")


def _add_option_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per SandboxOptions field, so new knobs are settable without touching the CLI."""
    hints = typing.get_type_hints(SandboxOptions)
    for option in dataclasses.fields(SandboxOptions):
        hint = hints[option.name]
        default = SandboxOptions()
        value = getattr(default, option.name)
        if hint is bool:
            if value:
                parser.add_argument(
                    "--no-" + option.name.replace("_", "-"),
                    dest=option.name,
                    action="store_false",
                    default=None,
                )
            else:
                parser.add_argument(_flag(option.name), dest=option.name, action="store_true", default=None)
        elif typing.get_origin(hint) is list:
            parser.add_argument(
                _flag(option.name),
                dest=option.name,
                action="append",
                default=None,
                metavar="NAME",
                help="repeatable; replaces the default list",
            )
        elif typing.get_origin(hint) is typing.Literal:
            parser.add_argument(
                _flag(option.name), dest=option.name, choices=typing.get_args(hint), default=None
            )
        else:
            parser.add_argument(
                _flag(option.name), dest=option.name, type=hint, default=None, metavar="VALUE"
            )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m localdcos", description="Local DC/OS API sandbox")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the emulated DC/OS APIs")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--state-file", type=Path, help="load state from it at start, save after every write")
    serve.add_argument("--tls", action="store_true", help="serve HTTPS with a certificate of the sandbox CA")
    serve.add_argument("--ca-out", type=Path, help="where to write the CA certificate")
    serve.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="UID:PASSWORD[:noperm]",
        help=f"repeatable; default {DEFAULT_USER[0]}:{DEFAULT_USER[1]} when no identity is given",
    )
    serve.add_argument(
        "--service-account", action="append", default=[], metavar="UID:PUBLIC_KEY_PEM_FILE[:noperm]"
    )
    serve.add_argument("--token-file", type=Path, help="write a valid admin token there at start")
    serve.add_argument("--log-level", default="warning", help="uvicorn log level (stderr)")
    _add_option_flags(serve)
    cluster_cli.add_parser(commands)
    return parser


def _options(args: argparse.Namespace) -> SandboxOptions:
    values = {
        f.name: getattr(args, f.name)
        for f in dataclasses.fields(SandboxOptions)
        if getattr(args, f.name) is not None
    }
    return SandboxOptions(**values)


def _split_permission(spec: str) -> tuple[str, bool]:
    if spec.endswith(":" + _NO_PERMISSION):
        return spec[: -len(_NO_PERMISSION) - 1], False
    return spec, True


def _add_identities(iam: IAM, args: argparse.Namespace) -> str | None:
    """Register --user/--service-account; returns the uid the admin token is for."""
    admin: str | None = None
    for spec in args.user:
        rest, permission = _split_permission(spec)
        uid, sep, password = rest.partition(":")
        if not sep or not uid:
            raise SystemExit(f"--user {spec!r}: expected UID:PASSWORD[:noperm]")
        iam.add_user(uid, password, permission=permission)
        admin = admin or (uid if permission else None)
    for spec in args.service_account:
        rest, permission = _split_permission(spec)
        uid, sep, key_file = rest.partition(":")
        if not sep or not uid:
            raise SystemExit(f"--service-account {spec!r}: expected UID:PUBLIC_KEY_PEM_FILE[:noperm]")
        try:
            iam.add_service_account(uid, Path(key_file).read_text(), permission=permission)
        except (OSError, ValueError) as exc:
            raise SystemExit(f"--service-account {spec!r}: {exc}") from exc
        admin = admin or (uid if permission else None)
    if not args.user and not args.service_account:
        iam.add_user(*DEFAULT_USER)
        admin = DEFAULT_USER[0]
    return admin


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must be IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on such sockets, and
    # without it keep-alive clients wait ~40 ms (Nagle vs delayed ACK) on every response.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _url(scheme: str, host: str, port: int) -> str:
    # A wildcard bind is reachable on loopback; print something a client can use.
    if host in ("0.0.0.0", ""):  # noqa: S104 - only mapping a wildcard to a usable address
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"{scheme}://{url_host(host)}:{port}"


def serve(args: argparse.Namespace) -> int:
    options = _options(args)
    services = Services(options)
    iam = services.iam
    admin = _add_identities(iam, args)

    hosts = ["127.0.0.1", "localhost"]
    if args.host not in hosts and args.host not in ("0.0.0.0", "::", ""):  # noqa: S104
        hosts.append(args.host)
    authority = pki.generate(hosts)
    ca_out: Path | None = args.ca_out or (
        args.state_file.with_name("dcos-ca.crt") if args.state_file else None
    )
    if ca_out is not None:
        ca_out.parent.mkdir(parents=True, exist_ok=True)
        ca_out.write_bytes(authority.ca_cert_pem)

    core = Core(
        options=options,
        iam=iam,
        services=services.all(),
        ca_pem=authority.ca_cert_pem,
        state_file=args.state_file,
    )
    try:
        core.load()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SystemExit(f"cannot load state file {args.state_file}: {exc}") from exc
    # What the load balancers' HAProxies see: node namespace files, checks, pool sandboxes, configs.
    node_dir = tempfile.mkdtemp(prefix="localdcos-node-")
    try:
        core.extensions = node_extensions(options, services, workdir=Path(node_dir), authority=authority)
    except (OSError, ValueError) as exc:
        shutil.rmtree(node_dir, ignore_errors=True)
        raise SystemExit(f"cannot set up the load balancer node: {exc}") from exc

    if args.token_file is not None and admin is not None:
        write_atomically(args.token_file, iam.issue_token(admin) + "\n", mode=0o600)

    sock = _bind(args.host, args.port)
    port = sock.getsockname()[1]
    url = _url("https" if args.tls else "http", args.host, port)
    tls_dir = tempfile.mkdtemp(prefix="localdcos-tls-") if args.tls else None
    ssl: dict[str, Any] = {}
    if tls_dir is not None:
        cert, key = Path(tls_dir) / "server.crt", Path(tls_dir) / "server.key"
        cert.write_bytes(authority.server_cert_pem)
        write_atomically(key, authority.server_key_pem, mode=0o600)
        ssl = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}

    def clean_up() -> None:
        # The lifespan has stopped them already unless start-up failed half-way; stop() is idempotent.
        for extension in core.extensions:
            extension.stop()
        shutil.rmtree(node_dir, ignore_errors=True)
        if tls_dir is not None:
            shutil.rmtree(tls_dir, ignore_errors=True)

    # Also from the lifespan's end: after a SIGTERM uvicorn re-raises the signal once it is done,
    # and the process dies before the `finally` below runs.
    app = create_app(core, on_started=print_ready(url), on_stopped=clean_up)
    config = uvicorn.Config(
        app,
        log_level=args.log_level,
        access_log=False,
        lifespan="on",
        # Idle keep-alive TLS clients never answer close_notify; do not wait long for them. State is
        # written before each answer, so cutting in-flight requests short loses nothing.
        timeout_graceful_shutdown=2,
        **ssl,
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
        clean_up()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "cluster":
        return cluster_cli.run(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
