"""NetworkInterfaceConfig through real parts: apply, drift, Restore, refusals."""

from __future__ import annotations

import time

import pytest

from tests.integration.harness import (
    ENI_DEMO,
    ENI_PRIMARY,
    ENI_SPARE,
    ENI_WEB_DATA,
    SG_DB,
    SG_WEB,
    Cluster,
    nic,
    wait_for,
)

pytestmark = pytest.mark.integration

MODIFY = "ModifyNetworkInterfaceAttribute"
KIND = "networkinterfaceconfig"


def test_apply_drift_and_restore(cluster: Cluster) -> None:
    before = cluster.sim.eni(ENI_DEMO)
    cluster.kubectl.apply(
        nic(
            "demo-eni",
            ENI_DEMO,
            deletionPolicy="Restore",
            networkInterfaceName="web-frontend",
            description="managed by cloudnet",
            securityGroupIds=[SG_WEB, SG_DB],
            connectionTrackingConfiguration={"tcpEstablishedTimeout": 300, "udpTimeout": 60},
        )
    )
    cluster.wait_phase("demo-eni", "PENDING_UPDATE", kind=KIND)
    status = cluster.wait_phase("demo-eni", "ACTIVE", kind=KIND)
    eni = cluster.sim.eni(ENI_DEMO)
    assert eni["network_interface_name"] == "web-frontend"
    assert eni["description"] == "managed by cloudnet"
    assert sorted(eni["security_group_ids"]) == sorted([SG_WEB, SG_DB])
    assert (eni["tcp_established_timeout"], eni["udp_timeout"]) == (300, 60)
    assert status["externalId"] == ENI_DEMO
    original = status["original"]
    assert original["NetworkInterfaceName"] == before["network_interface_name"]
    assert original["SecurityGroupId"] == before["security_group_ids"]
    assert len(cluster.sim.requests(MODIFY)) == 1  # one call with every difference
    assert "ENI" in cluster.kubectl("get", "nic", "-n", "demo").stdout

    # drift made outside Kubernetes is detected (status.drift) and corrected
    cluster.sim.admin.patch(
        f"/_sim/alibaba/ecs/network_interfaces/{ENI_DEMO}",
        json={"description": "changed by hand", "udp_timeout": 10},
    ).raise_for_status()
    wait_for(
        lambda: cluster.sim.eni(ENI_DEMO)["description"] == "managed by cloudnet",
        timeout=20,
        what="the operator to correct the description",
    )
    wait_for(lambda: cluster.sim.eni(ENI_DEMO)["udp_timeout"] == 60, what="udpTimeout back")
    cluster.wait_phase("demo-eni", "ACTIVE", kind=KIND)
    assert len(cluster.sim.requests(MODIFY)) == 2
    events = cluster.events("demo-eni")
    updated = [e["message"] for e in events if e["reason"] == "Updated"]
    assert any("spec.description" in m for m in updated)

    # Restore puts back what was there before the first change
    cluster.kubectl("delete", "nic", "demo-eni", "-n", "demo", "--wait=false")
    wait_for(lambda: not cluster.get("demo-eni", kind=KIND), what="the resource to go")
    eni = cluster.sim.eni(ENI_DEMO)
    assert eni["network_interface_name"] == before["network_interface_name"]
    assert eni["description"] == before["description"]
    assert eni["security_group_ids"] == before["security_group_ids"]
    assert (eni["tcp_established_timeout"], eni["udp_timeout"]) == (910, 30)


def test_orphan_leaves_the_eni_and_nothing_differs_means_no_call(cluster: Cluster) -> None:
    current = cluster.sim.eni(ENI_SPARE)["network_interface_name"]
    cluster.kubectl.apply(nic("spare", ENI_SPARE, networkInterfaceName=current))
    cluster.wait_phase("spare", "ACTIVE", kind=KIND)
    assert cluster.sim.requests(MODIFY) == []  # nothing differed: no write
    cluster.kubectl.apply(nic("spare", ENI_SPARE, networkInterfaceName="renamed-spare"))
    wait_for(
        lambda: cluster.sim.eni(ENI_SPARE)["network_interface_name"] == "renamed-spare",
        what="the rename",
    )
    cluster.kubectl("delete", "nic", "spare", "-n", "demo", "--wait=false")
    wait_for(lambda: not cluster.get("spare", kind=KIND), what="the resource to go")
    assert cluster.sim.eni(ENI_SPARE)["network_interface_name"] == "renamed-spare"
    assert len(cluster.sim.requests(MODIFY)) == 1


def test_primary_eni_with_security_groups_is_refused_with_the_reference_code(
    cluster: Cluster,
) -> None:
    cluster.kubectl.apply(nic("primary", ENI_PRIMARY, securityGroupIds=[SG_WEB, SG_DB]))
    status = cluster.wait_phase("primary", "ERROR", kind=KIND)
    assert status["lastError"]["code"] == "InvalidOperation.PrimaryEniOnlySupportModifyNameAndDesc"
    ready = {c["type"]: c for c in status["conditions"]}["Ready"]
    assert ready["reason"] == "InvalidSpec"
    time.sleep(2)  # sleep-ok: a window in which no retry may come
    assert len(cluster.sim.requests(MODIFY)) == 1  # InvalidSpec: one call per generation


def test_queue_change_on_a_running_instance_waits_with_a_clear_message(
    cluster: Cluster,
) -> None:
    cluster.kubectl.apply(nic("busy", ENI_WEB_DATA, queueNumber=2))
    status = cluster.wait_phase("busy", "ERROR", kind=KIND)
    assert status["lastError"]["code"] == "InvalidOperation.InvalidEniState"
    synced = {c["type"]: c for c in status["conditions"]}["Synced"]
    assert synced["reason"] == "Conflict" and "InvalidEniState" in synced["message"]
    assert cluster.sim.eni(ENI_WEB_DATA)["queue_number"] == 4  # unchanged, nothing half-done
