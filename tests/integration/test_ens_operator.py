"""The ENS DnatRule path through real parts, as for Huawei: apply, modify, delete, crash."""

from __future__ import annotations

import time

import pytest

from tests.integration.harness import ENS_EIPS, Cluster, ens_rule, wait_for

pytestmark = pytest.mark.integration

CREATE, MODIFY, DELETE = "CreateForwardEntry", "ModifyForwardEntry", "DeleteForwardEntry"


def writes(cluster: Cluster) -> list[str]:
    return [
        str(e["action"]) for e in cluster.sim.requests() if e["action"] in (CREATE, MODIFY, DELETE)
    ]


def test_create_modify_delete(cluster: Cluster) -> None:
    kubectl = cluster.kubectl
    kubectl.apply(ens_rule("ssh", external_port=2222, internal_port=22, forwardEntryName="ssh"))
    pending = cluster.wait_phase("ssh", "PENDING_CREATE")
    entry_id = pending["externalId"]
    assert entry_id.startswith("fwd-")
    active = cluster.wait_phase("ssh", "ACTIVE")
    assert active["externalId"] == entry_id
    [entry] = cluster.sim.ens_entries()
    assert (entry["external_port"], entry["internal_port"]) == ("2222", "22")
    assert entry["forward_entry_name"] == "ssh"  # the user's name, untouched
    assert "ACTIVE" in kubectl("get", "dnat", "-n", "demo").stdout

    kubectl.apply(ens_rule("ssh", external_port=2022, internal_port=22, forwardEntryName="ssh"))
    cluster.wait_phase("ssh", "PENDING_UPDATE")
    cluster.wait_phase("ssh", "ACTIVE")
    [entry] = cluster.sim.ens_entries()
    assert entry["id"] == entry_id and entry["external_port"] == "2022"
    assert writes(cluster) == [CREATE, MODIFY]

    kubectl("delete", "dnat", "ssh", "-n", "demo", "--wait=false")
    wait_for(lambda: not cluster.get("ssh"), what="the DnatRule to go")
    assert cluster.sim.ens_entries() == []
    assert writes(cluster) == [CREATE, MODIFY, DELETE]


def test_duplicate_external_port_is_a_conflict(cluster: Cluster) -> None:
    cluster.kubectl.apply(ens_rule("first", external_port=3000, internal_port=3000))
    first_id = cluster.wait_phase("first", "ACTIVE")["externalId"]
    cluster.kubectl.apply(ens_rule("second", external_port=3000, internal_port=3001))
    status = cluster.wait_phase("second", "ERROR")
    # the key is checked free before the create: the holder is named, no create is sent
    assert status["lastError"]["code"] == "KeyInUse"
    assert first_id in status["lastError"]["message"]
    assert {c["type"]: c for c in status["conditions"]}["Ready"]["reason"] == "Conflict"
    time.sleep(2)  # sleep-ok: a window in which no create may come
    assert writes(cluster) == [CREATE]


def test_operator_killed_during_create_adopts_the_entry(cluster: Cluster) -> None:
    cluster.sim.fault(action=CREATE, drop_response_after_commit=True, count=1)
    cluster.kubectl.apply(ens_rule("crash", external_ip=ENS_EIPS[1], external_port=4000))
    wait_for(lambda: len(cluster.sim.ens_entries()) == 1, what="the cloud to commit the create")
    annotations = cluster.get("crash")["metadata"].get("annotations", {})
    assert "cloudnet.dev/create-pending" in annotations
    cluster.operator.kill()

    cluster.operator.start()
    status = cluster.wait_phase("crash", "ACTIVE")
    [entry] = cluster.sim.ens_entries()
    assert status["externalId"] == entry["id"]
    assert len(cluster.sim.requests(CREATE)) == 1
    assert "Adopted" in {e["reason"] for e in cluster.events("crash")}


def test_drift_is_corrected_with_one_listing(cluster: Cluster) -> None:
    cluster.kubectl.apply(ens_rule("drifty", external_port=5000, internal_port=5000))
    status = cluster.wait_phase("drifty", "ACTIVE")
    entry_id = status["externalId"]
    cluster.sim.admin.patch(
        f"/_sim/alibaba/ens/forward_entries/{entry_id}", json={"internal_port": "5999"}
    ).raise_for_status()
    wait_for(
        lambda: any(
            e["id"] == entry_id and e["internal_port"] == "5000" for e in cluster.sim.ens_entries()
        ),
        timeout=20,
        what="the operator to put the internal port back",
    )
    cluster.wait_phase("drifty", "ACTIVE")
    assert len(cluster.sim.requests(MODIFY)) == 1
