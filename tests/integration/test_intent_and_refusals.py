"""Intent outside ``spec``, and deletes the cloud refuses, through the real operator process.

Each test here failed on the operator before the reconcile core v2: an
annotation change did nothing until a restart, and a refused delete with a
permanent-looking (or unknown) code released the finalizer and leaked the
cloud rule.
"""

from __future__ import annotations

import time

import pytest

from tests.integration.harness import Cluster, dnat_rule, wait_for

pytestmark = pytest.mark.integration

CREATE = "CreateNatGatewayDnatRule"
DELETE = "DeleteNatGatewayDnatRule"


def _synced(status: dict[str, object]) -> dict[str, object]:
    conditions = status.get("conditions") or []
    assert isinstance(conditions, list)
    return next((c for c in conditions if c.get("type") == "Synced"), {})


def test_removing_paused_reconciles_without_a_restart(cluster: Cluster) -> None:
    rule = dnat_rule("held", external_port=8181)
    rule["metadata"]["annotations"] = {"cloudnet.dev/paused": "true"}
    cluster.kubectl.apply(rule)
    time.sleep(3)  # sleep-ok: a window in which the paused rule may not be created
    assert cluster.sim.requests(CREATE) == []
    assert not cluster.status("held").get("externalId")

    cluster.kubectl("annotate", "dnat", "held", "-n", "demo", "cloudnet.dev/paused-")
    status = cluster.wait_phase("held", "ACTIVE", timeout=20)
    assert status["externalId"]
    assert len(cluster.sim.requests(CREATE)) == 1


def test_adding_external_id_adopts_without_a_restart(cluster: Cluster) -> None:
    # A rule made by someone else: here, a DnatRule that is then orphaned.
    orphan = dnat_rule("first", external_port=8282)
    orphan["spec"]["deletionPolicy"] = "Orphan"
    cluster.kubectl.apply(orphan)
    rule_id = cluster.wait_phase("first", "ACTIVE")["externalId"]
    cluster.kubectl("delete", "dnat", "first", "-n", "demo")
    wait_for(lambda: not cluster.get("first"), timeout=30, what="the orphaning delete")
    assert [r["id"] for r in cluster.sim.rules()] == [rule_id]

    # The same key without adoption is someone else's rule: a Conflict.
    cluster.kubectl.apply(dnat_rule("second", external_port=8282))
    status = cluster.wait_phase("second", "ERROR")
    assert status["conditions"] and _synced(status)["reason"] == "Conflict"

    cluster.kubectl(
        "annotate", "dnat", "second", "-n", "demo", f"cloudnet.dev/external-id={rule_id}"
    )
    status = cluster.wait_phase("second", "ACTIVE", timeout=20)
    assert status["externalId"] == rule_id
    assert [r["id"] for r in cluster.sim.rules()] == [rule_id]


@pytest.mark.parametrize(
    ("code", "status", "reason"),
    [
        ("NAT.0002", 400, "InvalidSpec"),  # a "the request is wrong" answer
        ("NAT.9999", 400, "Unknown"),  # a code no table lists
    ],
)
def test_a_refused_delete_keeps_the_finalizer_until_the_cloud_agrees(
    cluster: Cluster, code: str, status: int, reason: str
) -> None:
    cluster.kubectl.apply(dnat_rule("stubborn", external_port=8383))
    rule_id = cluster.wait_phase("stubborn", "ACTIVE")["externalId"]
    fault = cluster.sim.fault(action=DELETE, error_code=code, status=status, count=1)

    cluster.kubectl("delete", "dnat", "stubborn", "-n", "demo", "--wait=false")

    def refused() -> dict[str, object] | None:
        current = cluster.status("stubborn")
        last_error = current.get("lastError") or {}
        return current if isinstance(last_error, dict) and last_error.get("code") == code else None

    shown = wait_for(refused, timeout=30, what=f"the refusal {code} on the resource")
    synced = _synced(shown)
    assert (synced["status"], synced["reason"]) == ("False", reason)
    assert cluster.get("stubborn"), "the resource must wait for the cloud"
    assert [r["id"] for r in cluster.sim.rules()] == [rule_id]
    warnings = [e for e in cluster.events("stubborn") if e.get("type") == "Warning"]
    assert any(code in str(e.get("message")) for e in warnings)

    # The fault runs out: the delete goes through, and only then the resource goes.
    wait_for(lambda: not cluster.get("stubborn"), timeout=120, what="the DnatRule to go")
    assert cluster.sim.rules() == []
    assert fault["id"]


def test_a_paused_resource_being_deleted_waits_and_leaks_nothing(cluster: Cluster) -> None:
    cluster.kubectl.apply(dnat_rule("frozen", external_port=8484))
    rule_id = cluster.wait_phase("frozen", "ACTIVE")["externalId"]
    cluster.kubectl("annotate", "dnat", "frozen", "-n", "demo", "cloudnet.dev/paused=true")
    cluster.kubectl("delete", "dnat", "frozen", "-n", "demo", "--wait=false")
    time.sleep(3)  # sleep-ok: a window in which the paused rule may not be deleted
    assert cluster.get("frozen"), "paused is hands off, not a release"
    assert [r["id"] for r in cluster.sim.rules()] == [rule_id]
    assert cluster.sim.requests(DELETE) == []

    cluster.kubectl("annotate", "dnat", "frozen", "-n", "demo", "cloudnet.dev/paused-")
    wait_for(lambda: not cluster.get("frozen"), timeout=60, what="the DnatRule to go")
    assert cluster.sim.rules() == []
