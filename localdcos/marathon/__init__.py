"""Marathon (`/service/marathon`): the app model and its normalization, Marathon's two validation
layers, the deployment simulation, and the REST API on top."""

from localdcos.marathon.api import Marathon

__all__ = ["Marathon"]
