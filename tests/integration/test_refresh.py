"""A forced refresh through the real operator process, with no drift pass to help it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudnet_devkit.kubectl import Kubectl
from tests.integration.harness import (
    EIPS,
    ENI_DEMO,
    Cluster,
    Simulator,
    dnat_rule,
    nic,
    running,
    wait_for,
)

pytestmark = pytest.mark.integration

ANN = "cloudnet.dev/refresh-requested-at"
UPDATE = "UpdateNatGatewayDnatRule"
NIC = "networkinterfaceconfig"


def _echoed(cluster: Cluster, name: str, value: str, kind: str = "dnatrule") -> dict[str, object]:
    status: dict[str, object] = wait_for(
        lambda: (s := cluster.status(name, kind=kind)).get("refreshRequestedAt") == value and s,
        timeout=20,
        what=f"{kind} {name} to echo refresh {value}",
    )
    return status


@pytest.fixture()
def sim(tmp_path: Path) -> Iterator[Simulator]:
    """State changes at once: this test is about who looks, not about waiting."""
    simulator = Simulator(
        tmp_path,
        huawei_dnat_create_delay=0,
        huawei_dnat_update_delay=0,
        throttle_rate=0,
    ).start()
    yield simulator
    simulator.stop()


@pytest.fixture()
def undrifted(kubectl: Kubectl, tmp_path: Path, sim: Simulator) -> Iterator[Cluster]:
    """The cluster fixture's parts with the drift pass off: only the refresh can notice."""
    c = Cluster(kubectl, tmp_path, sim)
    c.operator.argv = ["run", "--verbose", "--drift-interval", "0", *c.allow_sim()]
    c.install()
    with running(c.operator):
        yield c


def test_the_refresh_annotation_observes_and_corrects_both_kinds(undrifted: Cluster) -> None:
    cluster = undrifted
    cluster.kubectl.apply(dnat_rule("fresh", eip=EIPS[1], external_port=7200))
    cluster.kubectl.apply(nic("fresh-eni", ENI_DEMO, description="managed by cloudnet"))
    rule_id = cluster.wait_phase("fresh", "ACTIVE")["externalId"]
    cluster.wait_phase("fresh-eni", "ACTIVE", kind=NIC)

    # changed in the cloud behind the operator's back; no drift pass will see it
    cluster.sim.admin.patch(
        f"/_sim/huawei/dnat_rules/{rule_id}", json={"external_service_port": 7999}
    ).raise_for_status()
    cluster.sim.admin.patch(
        f"/_sim/alibaba/ecs/network_interfaces/{ENI_DEMO}", json={"description": "by hand"}
    ).raise_for_status()
    cluster.kubectl("annotate", "dnat", "fresh", "-n", "demo", f"{ANN}=t1")
    cluster.kubectl("annotate", NIC, "fresh-eni", "-n", "demo", f"{ANN}=t1")
    status = _echoed(cluster, "fresh", "t1")
    assert status["lastRefreshedAt"]
    assert _echoed(cluster, "fresh-eni", "t1", kind=NIC)["lastRefreshedAt"]
    [rule] = [r for r in cluster.sim.rules() if r["id"] == rule_id]
    assert rule["external_service_port"] == 7200
    assert cluster.sim.eni(ENI_DEMO)["description"] == "managed by cloudnet"
    assert len(cluster.sim.requests(UPDATE)) == 1

    # another change behind its back: the same value asks for nothing, a new one does
    cluster.sim.admin.patch(
        f"/_sim/huawei/dnat_rules/{rule_id}", json={"external_service_port": 7998}
    ).raise_for_status()
    cluster.sim.admin.delete("/_sim/requests")
    cluster.kubectl("annotate", "dnat", "fresh", "-n", "demo", "note=unrelated")
    asked = time.time()  # a kubectl run later: a read the first annotation caused is older
    cluster.kubectl("annotate", "dnat", "fresh", "-n", "demo", "--overwrite", f"{ANN}=t2")
    _echoed(cluster, "fresh", "t2")
    wait_for(
        lambda: (
            next(r for r in cluster.sim.rules() if r["id"] == rule_id)["external_service_port"]
            == 7200
        ),
        what="the second refresh to put the port back",
    )
    # the DnatRule's calls only: the NIC's own (late) reads are not about this annotation
    log = [e for e in cluster.sim.requests() if e["family"] == "huawei"]
    # the unrelated annotation (the same refresh value) read nothing; t2 read and wrote once
    assert log and all(e["time"] > asked for e in log), log
    assert [e["action"] for e in log].count(UPDATE) == 1, log
    cluster.wait_phase("fresh", "ACTIVE")
