"""One MarathonApp whose definition comes from stack config (JSON), so tests can change it."""

import json

import pulumi

from provider import MarathonApp

config = pulumi.Config()
app = MarathonApp(
    # `resourceName` renames the resource (the fault suite's renamed-resource scenario).
    config.get("resourceName") or "app",
    definition=json.loads(config.require("definition")),
    force=config.get_bool("force") or False,
    adopt=config.get_bool("adopt") or False,
    wait_timeout_seconds=config.get_float("waitTimeoutSeconds") or 30.0,
)
pulumi.export("appId", app.app_id)
pulumi.export("version", app.version)
pulumi.export("deploymentId", app.deployment_id)
