"""Runs `pulumi up/preview/refresh/destroy` on a project directory through the Automation API.

Why: the Pulumi engine here is built from the Go module proxy, which serves the CLI but refuses
the Python language host module. The Automation API runs the program in this process and drives
the real CLI with `--client`, which needs only `pulumi` and the dynamic-provider shim. Where an
official Pulumi install exists, the plain `pulumi` commands work on the same project as well.
"""

from .runner import StackRunner, engine_environment

__all__ = ["StackRunner", "engine_environment"]
