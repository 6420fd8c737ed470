"""The kubeconfig: its options (frontend CA, token) and the rendered YAML."""

from __future__ import annotations

import base64

import pytest
import yaml

from components.kubeconfig import SELF_SIGNED_NOTE, KubeconfigSettings, render_kubeconfig
from components.settings import ExposureInputError, Spelling, validate_settings
from tests.components.helpers import PEM


def check(**values: object) -> KubeconfigSettings:
    return validate_settings(KubeconfigSettings, values, Spelling.ARGS)


@pytest.mark.parametrize("token", ["a b", "a\nb", 'a"b', "", 123])
def test_refuses_bad_token_without_echoing_it(token: object) -> None:
    with pytest.raises(ExposureInputError, match=r"^kubeconfig_token: must be a single token") as caught:
        check(kubeconfig_token=token)
    if token:
        assert str(token) not in str(caught.value)


@pytest.mark.parametrize("pem", ["not a certificate", 42])
def test_refuses_non_pem_ca(pem: object) -> None:
    with pytest.raises(ExposureInputError, match=r"^frontend_ca_pem: must be PEM"):
        check(frontend_ca_pem=pem)


def test_accepts_token_and_pem() -> None:
    assert check(frontend_ca_pem=PEM, kubeconfig_token="abc.def") == KubeconfigSettings(
        frontend_ca_pem=PEM, kubeconfig_token="abc.def"
    )


def test_kubeconfig_self_signed_says_why_verification_is_skipped() -> None:
    text = render_kubeconfig(name="kubernetes-cluster", url="https://127.0.0.1:6443", self_signed=True)
    assert text.startswith("# TLS verification is skipped")
    assert "insecure-skip-tls-verify: true" in text
    assert "certificate-authority-data" not in text
    assert "token" not in text.split("\n", 3)[-1]
    assert "self-signed" in SELF_SIGNED_NOTE


def test_kubeconfig_with_ca_and_token() -> None:
    text = render_kubeconfig(name="c", url="https://k:6443", self_signed=True, ca_pem=PEM, token="abc.def")
    doc = yaml.safe_load(text)
    cluster = doc["clusters"][0]["cluster"]
    assert "insecure-skip-tls-verify" not in cluster
    assert base64.b64decode(cluster["certificate-authority-data"]).decode() == PEM
    assert doc["users"] == [{"name": "c", "user": {"token": "abc.def"}}]
    assert doc["contexts"][0]["context"] == {"cluster": "c", "user": "c"}
    assert doc["current-context"] == "c"
