"""How the provider reaches a DC/OS cluster: URL, TLS and credentials.

Read in `configure()` from the stack config (`dcos:*`, decrypted by the engine) with environment
variables as fallback. Credentials are SecretStr so that no repr, log line or exception text can
carry them, and they live only in the provider process: never on the pickled provider, in inputs
or in outputs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError, field_validator, model_validator

#: config key (namespace `dcos`) -> environment variable used when the key is not set.
CONFIG_ENV_FALLBACK: dict[str, str] = {
    "url": "DCOS_URL",
    "token": "DCOS_ACS_TOKEN",
    "serviceAccountId": "DCOS_SERVICE_ACCOUNT_ID",
    "serviceAccountPrivateKey": "DCOS_SERVICE_ACCOUNT_PRIVATE_KEY",
    "username": "DCOS_USERNAME",
    "password": "DCOS_PASSWORD",
    "caBundle": "DCOS_CA_BUNDLE",
    "insecure": "DCOS_INSECURE",
    "requestTimeoutSeconds": "DCOS_REQUEST_TIMEOUT_SECONDS",
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class SettingsError(ValueError):
    """The DC/OS connection settings are missing or inconsistent."""


class ConnectionSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str
    token: SecretStr | None = None
    service_account_id: str | None = None
    service_account_private_key: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    ca_bundle: str | None = None
    insecure: bool = False
    request_timeout_seconds: float = 30.0

    @field_validator("url")
    @classmethod
    def _url_is_http(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return url.rstrip("/")

    @field_validator("token", "password", "service_account_private_key", mode="before")
    @classmethod
    def _strip_secret(cls, value: object) -> object:
        # Values read from files or CI secrets often end in a newline, which no header may carry.
        return value.strip() if isinstance(value, str) else value

    @field_validator("insecure", mode="before")
    @classmethod
    def _parse_bool(cls, value: object) -> object:
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
            raise ValueError("must be true or false")
        return value

    @model_validator(mode="after")
    def _credentials_are_complete(self) -> ConnectionSettings:
        if bool(self.service_account_id) != bool(self.service_account_private_key):
            raise ValueError("dcos:serviceAccountId and dcos:serviceAccountPrivateKey must be set together")
        if bool(self.username) != bool(self.password):
            raise ValueError("dcos:username and dcos:password must be set together")
        if self.ca_bundle and self.insecure:
            raise ValueError("dcos:caBundle and dcos:insecure exclude each other")
        return self

    @property
    def verify(self) -> bool | str:
        """The `verify` argument of requests: on by default, a CA bundle path, or off when asked."""
        if self.insecure:
            return False
        return self.ca_bundle or True


def _snake(key: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in key)


def load_settings(
    config_get: Callable[[str], str | None], environ: Mapping[str, str] | None = None
) -> ConnectionSettings:
    """Builds the settings from `dcos:<key>` config values, falling back to the environment."""
    env = os.environ if environ is None else environ
    values: dict[str, str] = {}
    for key, variable in CONFIG_ENV_FALLBACK.items():
        value = config_get(f"dcos:{key}")
        if value is None or value == "":
            value = env.get(variable)
        if value is not None and value != "":
            values[_snake(key)] = value
    if "url" not in values:
        raise SettingsError(
            "no DC/OS URL: set it with `pulumi config set dcos:url https://<master>` "
            "or the DCOS_URL environment variable"
        )
    try:
        return ConnectionSettings.model_validate(values)
    except ValidationError as error:
        problems = "; ".join(
            f"dcos:{'.'.join(str(p) for p in e['loc']) or 'config'}: {e['msg']}" for e in error.errors()
        )
        raise SettingsError(f"invalid DC/OS connection settings: {problems}") from None
