"""Marathon-LB's command line and the paths it hardcodes, as the emulation takes them."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from localdcos.common import version_tuple


@dataclass
class MarathonLBOptions:
    # MLB command line (DC/OS package defaults).
    groups: list[str] = field(default_factory=lambda: ["external"])
    strict_mode: bool = False
    ssl_certs: str = "/etc/ssl/cert.pem"
    bind_http_https: bool = True
    health_check: bool = True
    haproxy_map: bool = False
    version: str = "1.14.2"
    framework_name: str | None = "marathon-lb"  # FRAMEWORK_NAME: the app MLB never exposes
    config_path: str = "/etc/haproxy/haproxy.cfg"  # --haproxy-config; also served by getconfig
    # What MLB hardcodes in HAPROXY_HEAD and the shared frontends; the sandbox may move it.
    head_template: str | None = None  # used verbatim instead of the head built from the fields below
    stats_socket: str = "/var/run/haproxy/socket"
    maxconn: int = 50000  # HAProxy then needs ~100k file descriptors: lower it under a small ulimit
    pidfile: str | None = None
    log_target: str | None = None  # e.g. "/dev/log" as MLB; None keeps a sandbox HAProxy quiet
    http_port: int = 80
    https_port: int = 443
    stats_port: int = 9090
    appid_port: int = 9091
    default_client_timeout: str = "30s"

    def __post_init__(self) -> None:
        if not self.groups:
            raise ValueError("argument --group is required")
        if self.version_tuple < (1, 12, 1):
            raise ValueError(f"Marathon-LB {self.version} is not emulated (1.12.1 or later)")

    @property
    def version_tuple(self) -> tuple[int, ...]:
        return version_tuple(self.version)

    @property
    def haproxy_dir(self) -> str:
        return posixpath.dirname(self.config_path)

    def map_paths(self) -> tuple[str, str]:
        return (
            posixpath.join(self.haproxy_dir, "app2backend.map"),
            posixpath.join(self.haproxy_dir, "domain2backend.map"),
        )
