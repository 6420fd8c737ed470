"""Marathon-LB: its view of Marathon's apps (services), its templates, the haproxy.cfg it generates
(render), its reset loop with `haproxy -c` (build), and the sandbox's running instance."""

from localdcos.marathon_lb.build import BuildResult, build_config, check_config
from localdcos.marathon_lb.instance import MarathonLB
from localdcos.marathon_lb.options import MarathonLBOptions
from localdcos.marathon_lb.render import render_config
from localdcos.marathon_lb.services import resolve_host

__all__ = [
    "BuildResult",
    "MarathonLB",
    "MarathonLBOptions",
    "build_config",
    "check_config",
    "render_config",
    "resolve_host",
]
