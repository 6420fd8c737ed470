"""Provider settings from stack config, with the environment as fallback; secrets stay hidden."""

import pytest

from provider.settings import SettingsError, load_settings


def config(values: dict[str, str]):  # type: ignore[no-untyped-def]
    return values.get


def test_config_wins_over_environment() -> None:
    settings = load_settings(config({"dcos:url": "https://a/"}), {"DCOS_URL": "https://b"})
    assert settings.url == "https://a"


def test_environment_fallback() -> None:
    settings = load_settings(
        config({}), {"DCOS_URL": "http://b", "DCOS_ACS_TOKEN": "tok", "DCOS_INSECURE": "true"}
    )
    assert settings.token is not None and settings.token.get_secret_value() == "tok"
    assert settings.verify is False


def test_tls_verification_is_on_by_default_and_takes_a_ca_bundle() -> None:
    assert load_settings(config({"dcos:url": "https://a"}), {}).verify is True
    assert (
        load_settings(config({"dcos:url": "https://a", "dcos:caBundle": "/ca.pem"}), {}).verify == "/ca.pem"
    )


def test_missing_url_says_how_to_set_it() -> None:
    with pytest.raises(SettingsError, match="pulumi config set dcos:url"):
        load_settings(config({}), {})


def test_half_a_service_account_is_refused() -> None:
    with pytest.raises(SettingsError, match="serviceAccountPrivateKey"):
        load_settings(config({"dcos:url": "https://a", "dcos:serviceAccountId": "sa"}), {})


def test_secrets_never_appear_in_repr_or_errors() -> None:
    settings = load_settings(config({"dcos:url": "https://a", "dcos:token": "s3cr3t-token"}), {})
    assert "s3cr3t-token" not in repr(settings) and "s3cr3t-token" not in str(settings)
    with pytest.raises(SettingsError) as error:
        load_settings(config({"dcos:url": "ftp://a", "dcos:password": "pw-s3cr3t", "dcos:username": "u"}), {})
    assert "pw-s3cr3t" not in str(error.value)
    assert "dcos:url" in str(error.value)


def test_secrets_read_from_files_lose_their_trailing_newline() -> None:
    settings = load_settings(config({"dcos:url": "https://a", "dcos:token": "tok\n"}), {})
    assert settings.token is not None and settings.token.get_secret_value() == "tok"
