"""Validating a settings model: the two spellings, and how refusals are worded."""

from __future__ import annotations

import pytest

from components import ExposureInputError, ExposureModel
from components.settings import Exposure, Problem, Spelling, key_of, validate_settings


def test_error_type_is_a_value_error_listing_every_problem() -> None:
    error = ExposureInputError("port", "must be a port", Problem("count", "must be at least 1"))
    assert isinstance(error, ValueError)
    assert (error.field, error.rule) == ("port", "must be a port")
    assert str(error) == "port: must be a port\ncount: must be at least 1"


def test_args_are_python_names_and_strict() -> None:
    spec = validate_settings(
        ExposureModel, {"cluster_name": "k8s", "wait_timeout_seconds": 60}, Spelling.ARGS
    )
    assert spec.wait_timeout_seconds == 60.0
    with pytest.raises(ExposureInputError, match=r"^port: must be an integer; got str '7443'"):
        validate_settings(ExposureModel, {"cluster_name": "k8s", "port": "7443"}, Spelling.ARGS)
    with pytest.raises(ExposureInputError, match=r"^cluster_name: is required\nname: is not a known option"):
        validate_settings(ExposureModel, {"name": "k8s"}, Spelling.ARGS)


def test_config_is_camel_case_and_lax() -> None:
    spec = validate_settings(
        ExposureModel, {"name": "k8s", "port": "7443", "publicHost": "h"}, Spelling.CONFIG
    )
    # numeric strings from `pulumi config set --path` are accepted
    assert (spec.cluster_name, spec.port, spec.public_host) == ("k8s", 7443, "h")
    with pytest.raises(ExposureInputError) as caught:
        validate_settings(ExposureModel, {"name": "k8s", "public_host": "h", "port": True}, Spelling.CONFIG)
    assert [(p.field, p.rule) for p in caught.value.problems] == [
        ("port", "must be an integer; got bool True"),
        ("public_host", "is not a known option (did you mean 'publicHost'?)"),
    ]


def test_missing_name_is_named_by_its_python_field() -> None:
    with pytest.raises(ExposureInputError, match=r"^cluster_name: is required"):
        validate_settings(ExposureModel, {}, Spelling.CONFIG)


def test_key_spelling() -> None:
    assert key_of(ExposureModel, "cluster_name", Spelling.CONFIG) == "name"
    assert key_of(ExposureModel, "stats_bind_address", Spelling.CONFIG) == "statsBindAddress"
    assert key_of(ExposureModel, "stats_bind_address", Spelling.ARGS) == "stats_bind_address"
    assert key_of(ExposureModel, "colour", Spelling.CONFIG) == "colour"


def test_every_option_has_a_description() -> None:
    for name, info in ExposureModel.model_fields.items():
        assert info.description, name
    assert issubclass(ExposureModel, Exposure)
