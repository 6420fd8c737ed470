"""How the provider reaches a DC/OS cluster: URL, TLS and credentials.

Read in `configure()` from the stack config (`dcos:*`, decrypted by the engine) with environment
variables as fallback. Credentials are SecretStr so that no repr, log line or exception text can
carry them, and they live only in the provider process: never on the pickled provider, in inputs
or in outputs. Every rule here is checked at `pulumi preview` (check() reports it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError, field_validator, model_validator

from .errors import SettingsError

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

__all__ = ["CONFIG_ENV_FALLBACK", "ConnectionSettings", "SettingsError", "config_key", "load_settings"]


def _snake(key: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in key)


_KEY_OF_FIELD = {_snake(key): key for key in CONFIG_ENV_FALLBACK}


def config_key(field: str) -> str:
    """`service_account_private_key` -> `dcos:serviceAccountPrivateKey`, as the user sets it."""
    return f"dcos:{_KEY_OF_FIELD.get(field, field)}"


def _where(field: str) -> str:
    key = _KEY_OF_FIELD.get(field, field)
    return f"{config_key(field)} (or {CONFIG_ENV_FALLBACK[key]})" if key in CONFIG_ENV_FALLBACK else field


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

    @field_validator("token")
    @classmethod
    def _token_is_header_text(cls, token: SecretStr | None) -> SecretStr | None:
        # A DC/OS token is a JWT: printable ASCII. Anything else cannot go into a header (and is
        # usually a copy-paste accident); the message must not quote the token.
        if token is not None:
            for index, character in enumerate(token.get_secret_value()):
                if not (0x21 <= ord(character) <= 0x7E):
                    raise ValueError(
                        f"contains a character that is not printable ASCII at position {index + 1}; "
                        "a DC/OS token is ASCII text: copy it again"
                    )
        return token

    @field_validator("service_account_private_key")
    @classmethod
    def _key_is_rsa_pem(cls, key: SecretStr | None) -> SecretStr | None:
        if key is not None:
            # Only a service account needs cryptography: other processes start without it.
            from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
            from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415

            try:
                parsed = serialization.load_pem_private_key(key.get_secret_value().encode(), password=None)
            except (ValueError, TypeError):
                raise ValueError(
                    "is not an unencrypted private key in PEM format (-----BEGIN PRIVATE KEY-----)"
                ) from None
            if not isinstance(parsed, rsa.RSAPrivateKey):
                raise ValueError("must be an RSA private key (DC/OS service logins are RS256)")
        return key

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
        message = (
            "no DC/OS URL: set it with `pulumi config set dcos:url https://<master>` "
            "or the DCOS_URL environment variable"
        )
        raise SettingsError(message, [("dcos:url", message)])
    try:
        return ConnectionSettings.model_validate(values)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            field = ".".join(str(p) for p in item["loc"])
            rule = str(item["msg"]).removeprefix("Value error, ")
            if field:
                problems.append((config_key(field), f"{_where(field)} {rule}"))
            else:
                problems.append(("dcos", rule))
        text = "invalid DC/OS connection settings: " + "; ".join(rule for _, rule in problems)
        raise SettingsError(text, problems) from None
