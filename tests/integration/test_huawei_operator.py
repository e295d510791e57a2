"""The Huawei DnatRule path through real parts: ``cloudnet run``, kubectl, ``cloudnet sim``.

Every assertion about the cloud is made against the simulator's own state
and request log over HTTP, never against what the operator says it did.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.integration.harness import (
    ALI_SK,
    EIPS,
    GATEWAY,
    SK,
    Cluster,
    dnat_rule,
    ens_rule,
    wait_for,
)

pytestmark = pytest.mark.integration

CREATE = "CreateNatGatewayDnatRule"
UPDATE = "UpdateNatGatewayDnatRule"
DELETE = "DeleteNatGatewayDnatRule"


def writes(cluster: Cluster) -> list[dict[str, object]]:
    return [e for e in cluster.sim.requests() if e["action"] in (CREATE, UPDATE, DELETE)]


def test_create_update_delete(cluster: Cluster) -> None:
    kubectl = cluster.kubectl
    kubectl.apply(dnat_rule("web", external_port=8080, internal_port=80))

    pending = cluster.wait_phase("web", "PENDING_CREATE")
    rule_id = pending["externalId"]
    assert rule_id
    active = cluster.wait_phase("web", "ACTIVE")
    assert active["externalId"] == rule_id
    assert active["observedGeneration"] == 1
    ready = {c["type"]: c for c in active["conditions"]}
    assert ready["Ready"]["status"] == "True" and ready["Synced"]["status"] == "True"
    assert active["lastRequestId"]
    # the create guard is gone once the id is recorded
    annotations = cluster.get("web")["metadata"].get("annotations", {})
    assert "cloudnet.dev/create-pending" not in annotations
    [cloud] = cluster.sim.rules()
    assert cloud["id"] == rule_id
    assert (cloud["external_service_port"], cloud["internal_service_port"]) == (8080, 80)
    assert active["observed"]["external_service_port"] == 8080
    # kubectl's printer columns show the phase and the id
    table = kubectl("get", "dnat", "-n", "demo").stdout
    assert "ACTIVE" in table and rule_id in table

    # change a port: PENDING_UPDATE, then ACTIVE with the cloud holding the new port
    kubectl.apply(dnat_rule("web", external_port=9090, internal_port=80))
    cluster.wait_phase("web", "PENDING_UPDATE")
    active = cluster.wait_phase("web", "ACTIVE")
    assert active["observedGeneration"] == 2
    [cloud] = cluster.sim.rules()
    assert cloud["id"] == rule_id and cloud["external_service_port"] == 9090
    assert [e["action"] for e in writes(cluster)] == [CREATE, UPDATE]

    reasons = {e["reason"] for e in cluster.events("web")}
    assert {"Created", "Updated"} <= reasons

    # delete: the cloud rule goes first, then the resource
    kubectl("delete", "dnat", "web", "-n", "demo", "--wait=false")
    wait_for(lambda: not cluster.get("web"), timeout=30, what="the DnatRule to go")
    assert cluster.sim.rules() == []
    assert [e["action"] for e in writes(cluster)] == [CREATE, UPDATE, DELETE]


def test_unknown_gateway_is_an_error_with_one_attempt(cluster: Cluster) -> None:
    cluster.kubectl.apply(dnat_rule("lost", gateway="00000000-0000-4000-8000-000000000000"))
    status = cluster.wait_phase("lost", "ERROR")
    assert status["lastError"]["code"] == "NAT.0105"
    assert status["lastError"]["requestId"]
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["Ready"]["reason"] == "DependencyNotFound"
    assert "NAT.0105" in conditions["Synced"]["message"]
    time.sleep(3)  # sleep-ok: a window in which a retry storm would show up
    assert len(cluster.sim.requests(CREATE)) == 1
    assert "DependencyNotFound" in {e["reason"] for e in cluster.events("lost")}


def test_cloud_invalid_spec_costs_one_call_per_generation(cluster: Cluster) -> None:
    # ecs-elsewhere is in another VPC than the gateway: the cloud answers NAT.0315.
    other_vpc_port = "6a1e8f3c-2d4b-4c7a-9e5f-1b3d5f7a9c2e"
    cluster.kubectl.apply(dnat_rule("bad", portId=other_vpc_port))
    status = cluster.wait_phase("bad", "ERROR")
    assert status["lastError"]["code"] == "NAT.0315"
    assert {c["type"]: c for c in status["conditions"]}["Synced"]["reason"] == "InvalidSpec"
    time.sleep(3)  # sleep-ok: a window in which no retry may come
    assert len(cluster.sim.requests(CREATE)) == 1
    # restarting the operator does not spend another call on the same generation
    cluster.operator.stop()
    before = len(cluster.operator.output())
    cluster.operator.start()
    wait_for(
        lambda: "Starting the watch-stream for dnatrules" in cluster.operator.output()[before:],
        what="the restarted operator to watch DnatRules",
    )
    time.sleep(3)  # sleep-ok: a window, from when it sees the rule, in which no retry may come
    assert len(cluster.sim.requests(CREATE)) == 1
    # a new generation gets one new try, and succeeds
    cluster.kubectl.apply(dnat_rule("bad", external_port=8081))
    cluster.wait_phase("bad", "ACTIVE")
    assert len(cluster.sim.requests(CREATE)) == 2


def test_spec_refused_by_the_model_makes_no_cloud_call(cluster: Cluster) -> None:
    cluster.settle_credentials_checks()
    rule = dnat_rule("angle", description="<script>")
    refused = cluster.kubectl.apply(rule, check=False)
    assert "spec.huaweiNat.description: Invalid value" in refused.stderr  # admission, first
    # A cluster whose CRD is older than the operator: no description pattern to admit by.
    crd = cluster.kubectl.json("get", "crd", "dnatrules.cloudnet.dev")
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    del schema["properties"]["spec"]["properties"]["huaweiNat"]["properties"]["description"][
        "pattern"
    ]
    cluster.kubectl("replace", "-f", "-", input=json.dumps(crd))
    cluster.kubectl.apply(rule)
    status = cluster.wait_phase("angle", "ERROR")
    message = {c["type"]: c for c in status["conditions"]}["Ready"]["message"]
    assert "spec.huaweiNat.description" in message
    assert cluster.sim.requests() == []


def test_provider_config_of_another_namespace_is_refused(cluster: Cluster) -> None:
    cluster.settle_credentials_checks()
    cluster.kubectl.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    cluster.kubectl.apply(dnat_rule("sneaky", namespace="team"))
    status = wait_for(
        lambda: (s := cluster.status("sneaky", "team")).get("phase") == "ERROR" and s,
        what="sneaky to fail",
    )
    message = {c["type"]: c for c in status["conditions"]}["Ready"]["message"]
    assert "ProviderConfig 'huawei' not found in namespace 'team'" in message
    # an explicit namespace in the reference is refused too, not followed
    rule = dnat_rule("sneaky2", namespace="team")
    rule["spec"]["providerConfigRef"]["namespace"] = "demo"
    cluster.kubectl.apply(rule)
    status = wait_for(
        lambda: (s := cluster.status("sneaky2", "team")).get("phase") == "ERROR" and s,
        what="sneaky2 to fail",
    )
    message = {c["type"]: c for c in status["conditions"]}["Ready"]["message"]
    assert "providerConfigRef.namespace" in message
    assert cluster.sim.requests() == []


def test_operator_killed_during_create_adopts_the_rule(cluster: Cluster) -> None:
    # The cloud commits the create but never answers: the operator is killed in that window.
    cluster.sim.fault(action=CREATE, drop_response_after_commit=True, count=1)
    cluster.kubectl.apply(dnat_rule("crash", external_port=8443, internal_port=443))
    wait_for(lambda: len(cluster.sim.rules()) == 1, what="the cloud to commit the create")
    annotations = cluster.get("crash")["metadata"].get("annotations", {})
    assert "cloudnet.dev/create-pending" in annotations
    assert not cluster.status("crash").get("externalId")
    cluster.operator.kill()

    cluster.operator.start()
    status = cluster.wait_phase("crash", "ACTIVE")
    [cloud] = cluster.sim.rules()
    assert status["externalId"] == cloud["id"]
    assert len(cluster.sim.requests(CREATE)) == 1
    annotations = cluster.get("crash")["metadata"].get("annotations", {})
    assert "cloudnet.dev/create-pending" not in annotations
    assert "Adopted" in {e["reason"] for e in cluster.events("crash")}


def test_rule_deleted_in_the_cloud_does_not_block_deletion(cluster: Cluster) -> None:
    # No drift pass in this test: it would (rightly) create the vanished rule again
    # before the delete comes.
    cluster.operator.stop()
    cluster.operator.argv = ["run", "--verbose", "--drift-interval", "0", *cluster.allow_sim()]
    cluster.operator.start()
    cluster.kubectl.apply(dnat_rule("gone", eip=EIPS[1]))
    status = cluster.wait_phase("gone", "ACTIVE")
    # someone deletes the rule behind our back (straight through the admin API)
    cluster.sim.admin.patch(
        f"/_sim/huawei/dnat_rules/{status['externalId']}", json={"status": "PENDING_DELETE"}
    ).raise_for_status()
    wait_for(lambda: cluster.sim.rules() == [], timeout=10, what="the cloud to drop the rule")
    cluster.kubectl("delete", "dnat", "gone", "-n", "demo", "--wait=false")
    wait_for(lambda: not cluster.get("gone"), what="the DnatRule to go")
    assert cluster.sim.requests(DELETE) == []


def test_secrets_never_leave_the_secret(cluster: Cluster) -> None:
    cluster.kubectl.apply(dnat_rule("quiet", gateway=GATEWAY, eip=EIPS[2]))
    cluster.wait_phase("quiet", "ACTIVE")
    cluster.kubectl.apply(dnat_rule("noisy", gateway="00000000-0000-4000-8000-000000000000"))
    cluster.wait_phase("noisy", "ERROR")
    cluster.kubectl.apply(ens_rule("edge", external_port=7100, internal_port=7100))
    cluster.wait_phase("edge", "ACTIVE")
    everything = json.dumps(
        [
            cluster.get("quiet"),
            cluster.get("noisy"),
            cluster.get("edge"),
            cluster.kubectl.json("get", "events", "-A"),
        ]
    )
    for secret in (SK, ALI_SK):
        assert secret not in everything
        assert secret not in cluster.operator.output()


def test_drift_in_the_cloud_is_detected_and_corrected(cluster: Cluster) -> None:
    cluster.kubectl.apply(dnat_rule("drifty", eip=EIPS[1], external_port=7000))
    cluster.kubectl.apply(dnat_rule("steady", eip=EIPS[2], external_port=7001))
    status = cluster.wait_phase("drifty", "ACTIVE")
    cluster.wait_phase("steady", "ACTIVE")
    rule_id = status["externalId"]
    # someone changes the rule outside Kubernetes
    cluster.sim.admin.patch(
        f"/_sim/huawei/dnat_rules/{rule_id}", json={"external_service_port": 7999}
    ).raise_for_status()
    wait_for(
        lambda: any(
            r["id"] == rule_id and r["external_service_port"] == 7000 for r in cluster.sim.rules()
        ),
        timeout=20,
        what="the operator to put the port back",
    )
    cluster.wait_phase("drifty", "ACTIVE")
    updates = cluster.sim.requests(UPDATE)
    assert len(updates) == 1 and rule_id in str(updates[0]["path"])
    # the untouched rule cost no write; the check lists the gateway once per pass
    time.sleep(1.5)  # sleep-ok: lets the pass in flight end, so the window below holds whole passes
    cluster.sim.admin.delete("/_sim/requests")
    time.sleep(3.5)  # sleep-ok: the window whose calls are counted (drift passes ~1 per second)
    log = cluster.sim.requests()
    assert {e["action"] for e in log} == {"ListNatGatewayDnatRules"}
    assert 2 <= len(log) <= 5  # ~1 per second for both rules together, not 1 per rule
    assert "Updated" in {e["reason"] for e in cluster.events("drifty")}


def test_a_restart_leaves_settled_rules_to_the_drift_pass(cluster: Cluster) -> None:
    """No per-rule resume of ACTIVE rules: one listing of the gateway finds what changed."""
    cluster.kubectl.apply(dnat_rule("calm", eip=EIPS[1], external_port=7100))
    cluster.kubectl.apply(dnat_rule("moved", eip=EIPS[2], external_port=7101))
    calm = cluster.wait_phase("calm", "ACTIVE")
    moved = cluster.wait_phase("moved", "ACTIVE")
    cluster.operator.stop()
    # while the operator is down, someone changes one rule in the cloud
    cluster.sim.admin.patch(
        f"/_sim/huawei/dnat_rules/{moved['externalId']}", json={"external_service_port": 7999}
    ).raise_for_status()
    cluster.sim.admin.delete("/_sim/requests")
    cluster.operator.start()
    wait_for(
        lambda: any(
            r["id"] == moved["externalId"] and r["external_service_port"] == 7101
            for r in cluster.sim.rules()
        ),
        timeout=20,
        what="the drift pass to put the port back",
    )
    log = cluster.sim.requests()
    # the drift pass listed the gateway; only the drifted rule was read by id and written
    assert {e["action"] for e in log} <= {
        "ListNatGatewayDnatRules",
        "ShowNatGatewayDnatRule",
        UPDATE,
    }, log
    assert not [e for e in log if calm["externalId"] in str(e["path"])], log
    assert [e["action"] for e in log if e["action"] == UPDATE] == [UPDATE]
    assert cluster.status("calm")["phase"] == "ACTIVE"
    restarted = cluster.operator.output().rsplit("Initial authentication has finished", 1)[-1]
    assert "[demo/moved] Resuming is processed" not in restarted  # woken by drift, not resumed
    assert "[demo/calm]" not in restarted, "a settled rule is not touched at all"
