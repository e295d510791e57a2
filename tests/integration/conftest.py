"""Fixtures of the operator integration tests: simulator, test API, CRDs, operator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudnet_devkit.fixtures import kube_server, kubeconfig, kubectl  # noqa: F401
from cloudnet_devkit.kubectl import Kubectl
from tests.integration.harness import Cluster, Simulator


@pytest.fixture(scope="module")
def module_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    """One simulator process per module, with slow enough state changes that kubectl sees
    PENDING_* phases; each test gets it reset through :func:`sim`."""
    simulator = Simulator(
        tmp_path_factory.mktemp("sim"),
        huawei_dnat_create_delay=2.0,
        huawei_dnat_update_delay=2.0,
        huawei_dnat_delete_delay=1.0,
        alibaba_ens_create_delay=2.0,
        alibaba_ens_modify_delay=2.0,
        alibaba_ens_delete_delay=1.0,
        throttle_rate=0,
    ).start()
    yield simulator
    simulator.stop()


@pytest.fixture()
def sim(module_sim: Simulator) -> Simulator:
    """The module's simulator as it started: the test API and the operator stay one per
    test (a finalizer or a watch of one test must not reach the next), the cloud is reset."""
    return module_sim.reset()


@pytest.fixture()
def cluster(kubectl: Kubectl, tmp_path: Path, sim: Simulator) -> Iterator[Cluster]:  # noqa: F811
    """CRDs and the demo namespace installed, the operator running."""
    c = Cluster(kubectl, tmp_path, sim)
    c.install()
    c.operator.start()
    yield c
    c.operator.stop()
