"""The registry by `via`, the joined options model, and the stack-wide rules."""

from __future__ import annotations

from itertools import combinations

import pytest

from components import BALANCERS, ExposureModel, balancer_for
from components.balancers import clashes, owner
from components.load_balancer import LoadBalancer
from components.settings import Exposure, ExposureInputError
from tests.components.helpers import exposure, refused


def test_registry_is_keyed_by_via() -> None:
    assert list(BALANCERS) == ["marathon-lb", "edge-lb"]
    for via, balancer in BALANCERS.items():
        assert isinstance(balancer, LoadBalancer)
        assert balancer.via == via
        assert issubclass(balancer.settings, Exposure)
        assert issubclass(ExposureModel, balancer.settings)
    assert {b.id_output for b in BALANCERS.values()} == {"appId", "poolName"}
    assert len({b.child_suffix for b in BALANCERS.values()}) == len(BALANCERS)


def test_each_option_is_declared_by_one_module() -> None:
    own = {via: set(b.settings.model_fields) - set(Exposure.model_fields) for via, b in BALANCERS.items()}
    for (a, fields_a), (b, fields_b) in combinations(own.items(), 2):
        assert not fields_a & fields_b, (a, b)
    assert set(ExposureModel.model_fields) == set(Exposure.model_fields).union(*own.values())
    assert owner("haproxy_group") == "marathon-lb"
    assert owner("stats_port") == "edge-lb"
    assert owner("port") is None


def test_unsupported_options_exist() -> None:
    for balancer in BALANCERS.values():
        for field in balancer.unsupported:
            assert field in ExposureModel.model_fields
            assert owner(field) not in {None, balancer.via}


def test_refuses_unknown_via() -> None:
    refused("via", "must be one of marathon-lb, edge-lb; got 'nginx'", via="nginx")
    with pytest.raises(ExposureInputError, match=r"^via: must be one of"):
        balancer_for("haproxy")


def test_narrow_refuses_a_model_without_its_settings() -> None:
    plain = Exposure(cluster_name="k8s")  # the common part alone, never what validation returns
    with pytest.raises(TypeError, match="validate with ExposureModel"):
        balancer_for("edge-lb").narrow(plain)


def describe(values: list[dict[str, object]]) -> list[tuple[int, str, int, str, str, str]]:
    found = clashes([exposure(**v) for v in values])
    return [(c.index, c.field, c.first, c.first_field, c.what, c.key) for c in found]


def test_accepts_distinct_exposures() -> None:
    assert (
        describe(
            [
                {"cluster_name": "dev/kubernetes01", "port": 6443},
                {"cluster_name": "prod/kubernetes01", "port": 6444},
                {"cluster_name": "edge", "via": "edge-lb", "port": 6445, "stats_port": 6090},
                {"cluster_name": "edge2", "via": "edge-lb", "port": 6446, "stats_port": 6091},
            ]
        )
        == []
    )


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            [{"cluster_name": "k8s"}, {"cluster_name": "k8s", "port": 6444}],
            [(1, "cluster_name", 0, "cluster_name", "cluster", "k8s")],
        ),
        (
            [{"cluster_name": "dev/kubernetes01"}, {"cluster_name": "devkubernetes01", "port": 6444}],
            [
                (
                    1,
                    "cluster_name",
                    0,
                    "cluster_name",
                    "apiserver VIP",
                    "apiserver.devkubernetes01.l4lb.thisdcos.directory",
                )
            ],
        ),
        (
            [{"cluster_name": "dev/k8s"}, {"cluster_name": "dev-k8s", "port": 6444}],
            [(1, "cluster_name", 0, "cluster_name", "derived app/pool/resource name", "dev-k8s")],
        ),
        ([{"cluster_name": "a"}, {"cluster_name": "b"}], [(1, "port", 0, "port", "public port", "6443")]),
        (
            [{"cluster_name": "a"}, {"cluster_name": "b", "via": "edge-lb"}],
            [(1, "port", 0, "port", "public port", "6443")],
        ),
        (
            [{"cluster_name": "a", "via": "edge-lb"}, {"cluster_name": "b", "via": "edge-lb", "port": 6444}],
            [(1, "stats_port", 0, "stats_port", "public port", "6090")],
        ),
        (
            [{"cluster_name": "a", "port": 6090}, {"cluster_name": "b", "via": "edge-lb", "port": 6444}],
            [(1, "stats_port", 0, "port", "public port", "6090")],
        ),
        (
            [
                {"cluster_name": "a", "via": "edge-lb", "pool_name": "k8s"},
                {"cluster_name": "b", "via": "edge-lb", "pool_name": "k8s", "port": 6444, "stats_port": 6091},
            ],
            [(1, "pool_name", 0, "pool_name", "Edge-LB pool name", "k8s")],
        ),
    ],
)
def test_clashes(
    values: list[dict[str, object]], expected: list[tuple[int, str, int, str, str, str]]
) -> None:
    assert describe(values) == expected
