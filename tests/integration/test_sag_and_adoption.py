"""SAG end to end, and adoption / ObserveOnly for every DnatRule provider.

Cloud objects that "someone else" made are created straight through the
simulator's cloud API with the project's own clients, as another tool would;
every claim about writes is checked in the simulator's request log.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from cloudnet.clouds.alibaba import AlibabaCredentials, AlibabaRpcClient
from cloudnet.clouds.huawei import HuaweiCredentials
from cloudnet.providers.alibaba_ens.errors import ENS_ERRORS
from cloudnet.providers.alibaba_sag.errors import SAG_ERRORS
from cloudnet.providers.huawei_nat.client import HuaweiNatClient
from tests.integration.harness import (
    AK,
    ALI_AK,
    ALI_SK,
    EIPS,
    ENS_EIPS,
    ENS_GATEWAY,
    ENS_WEB1,
    GATEWAY,
    PORT_WEB1,
    PROJECT,
    SAG_ID,
    SAG_REGION,
    SK,
    Cluster,
    dnat_rule,
    ens_rule,
    sag_rule,
    wait_for,
)

pytestmark = pytest.mark.integration

ADD, DEL = "AddDnatEntry", "DeleteDnatEntry"
WRITES = {
    "CreateNatGatewayDnatRule",
    "UpdateNatGatewayDnatRule",
    "DeleteNatGatewayDnatRule",
    "CreateForwardEntry",
    "ModifyForwardEntry",
    "DeleteForwardEntry",
    ADD,
    DEL,
}


def writes(cluster: Cluster) -> list[str]:
    return [str(e["action"]) for e in cluster.sim.requests() if e["action"] in WRITES]


def test_sag_add_replace_delete(cluster: Cluster) -> None:
    kubectl = cluster.kubectl
    kubectl.apply(sag_rule("branch", external_port=8080, internal_port=80))
    status = cluster.wait_phase("branch", "ACTIVE")
    first_id = status["externalId"]
    [entry] = cluster.sim.sag_entries()
    assert entry["id"] == first_id and entry["external_port"] == "8080"

    # SAG has no Modify: a changed port is a delete, then an add
    kubectl.apply(sag_rule("branch", external_port=9090, internal_port=80))
    status = wait_for(
        lambda: (
            (s := cluster.status("branch")).get("externalId") not in (None, first_id)
            and s.get("phase") == "ACTIVE"
            and s
        ),
        what="the entry to be replaced",
    )
    [entry] = cluster.sim.sag_entries()
    assert entry["id"] == status["externalId"] and entry["external_port"] == "9090"
    assert writes(cluster) == [ADD, DEL, ADD]
    reasons = [e["reason"] for e in cluster.events("branch")]
    assert "Deleted" in reasons and reasons.count("Created") == 2

    kubectl("delete", "dnat", "branch", "-n", "demo", "--wait=false")
    wait_for(lambda: not cluster.get("branch"), what="the DnatRule to go")
    assert cluster.sim.sag_entries() == []
    assert writes(cluster) == [ADD, DEL, ADD, DEL]


def test_sag_crash_between_delete_and_add_finishes_the_job(cluster: Cluster) -> None:
    cluster.kubectl.apply(sag_rule("crashy", external_port=8081))
    first_id = cluster.wait_phase("crashy", "ACTIVE")["externalId"]
    # the add of the replacement commits, but its answer never comes: kill the operator then
    cluster.sim.fault(action=ADD, drop_response_after_commit=True, count=1)
    cluster.kubectl.apply(sag_rule("crashy", external_port=9091))
    wait_for(
        lambda: [e["external_port"] for e in cluster.sim.sag_entries()] == ["9091"],
        what="the old entry deleted and the new one committed",
    )
    cluster.operator.kill()
    assert cluster.status("crashy").get("externalId") in (None, first_id)

    cluster.operator.start()
    status = wait_for(
        lambda: (
            (s := cluster.status("crashy")).get("phase") == "ACTIVE"
            and s.get("externalId") not in (None, first_id)
            and s
        ),
        what="the operator to finish the replacement",
    )
    [entry] = cluster.sim.sag_entries()
    assert status["externalId"] == entry["id"] and entry["external_port"] == "9091"
    assert writes(cluster).count(ADD) == 2  # the first add and the replacement, no third


# -- objects made by someone else, straight through the cloud APIs ----------------------------


async def _huawei_rule(url: str, external_port: int) -> str:
    async with httpx.AsyncClient() as http:
        client = HuaweiNatClient(
            http, endpoint=url, project_id=PROJECT, credentials=HuaweiCredentials.from_aksk(AK, SK)
        )
        response = await client.create_dnat_rule(
            {
                "nat_gateway_id": GATEWAY,
                "floating_ip_id": EIPS[2],
                "port_id": PORT_WEB1,
                "protocol": "tcp",
                "internal_service_port": 80,
                "external_service_port": external_port,
            }
        )
        return str(response.body["dnat_rule"]["id"])


async def _alibaba(url: str, version: str, action: str, params: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        client = AlibabaRpcClient(
            http,
            endpoint=url,
            credentials=AlibabaCredentials(access_key_id=ALI_AK, access_key_secret=ALI_SK),
            version=version,
            errors=ENS_ERRORS if version == "2017-11-10" else SAG_ERRORS,
        )
        return (await client.call(action, params)).body


def made_elsewhere(cluster: Cluster, provider: str) -> str:
    url = cluster.sim.url
    if provider == "huawei":
        rule_id = asyncio.run(_huawei_rule(url, 6000))
        wait_for(lambda: any(r["status"] == "ACTIVE" for r in cluster.sim.rules()), what="ACTIVE")
        return rule_id
    if provider == "ens":
        body = asyncio.run(
            _alibaba(
                url,
                "2017-11-10",
                "CreateForwardEntry",
                {
                    "NatGatewayId": ENS_GATEWAY,
                    "ExternalIp": ENS_EIPS[1],
                    "ExternalPort": "6000",
                    "InternalIp": ENS_WEB1,
                    "InternalPort": "80",
                    "IpProtocol": "TCP",
                },
            )
        )
        return str(body["ForwardEntryId"])
    body = asyncio.run(
        _alibaba(
            url,
            "2018-03-13",
            ADD,
            {
                "RegionId": SAG_REGION,
                "SagId": SAG_ID,
                "ExternalIp": "10.10.1.1",
                "ExternalPort": "6000",
                "InternalIp": "192.168.10.5",
                "InternalPort": "80",
                "IpProtocol": "TCP",
            },
        )
    )
    return str(body["DnatEntryId"])


def rule_for(provider: str, name: str, external_port: int) -> dict[str, Any]:
    if provider == "huawei":
        return dnat_rule(name, eip=EIPS[2], external_port=external_port, internal_port=80)
    if provider == "ens":
        return ens_rule(
            name,
            external_ip=ENS_EIPS[1],
            external_port=external_port,
            internal_port=80,
            ipProtocol="TCP",
        )
    return sag_rule(name, external_port=external_port, internal_port=80)


def port_of(cluster: Cluster, provider: str) -> list[str]:
    if provider == "huawei":
        return [str(r["external_service_port"]) for r in cluster.sim.rules()]
    if provider == "ens":
        return [str(e["external_port"]) for e in cluster.sim.ens_entries()]
    return [str(e["external_port"]) for e in cluster.sim.sag_entries()]


PROVIDERS = ["huawei", "ens", "sag"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_adopt_an_existing_cloud_object(cluster: Cluster, provider: str) -> None:
    external_id = made_elsewhere(cluster, provider)
    cluster.sim.admin.delete("/_sim/requests")
    rule = rule_for(provider, "adopted", 6000)
    rule["metadata"]["annotations"] = {"cloudnet.dev/external-id": external_id}
    cluster.kubectl.apply(rule)
    status = cluster.wait_phase("adopted", "ACTIVE")
    assert status["externalId"] == external_id
    assert writes(cluster) == []  # adopted as it is: no create, no change
    assert "Adopted" in {e["reason"] for e in cluster.events("adopted")}
    assert port_of(cluster, provider) == ["6000"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_observe_only_reports_and_never_writes(cluster: Cluster, provider: str) -> None:
    external_id = made_elsewhere(cluster, provider)
    cluster.sim.admin.delete("/_sim/requests")
    rule = rule_for(provider, "watched", 6001)  # the cloud holds 6000: a mismatch
    rule["metadata"]["annotations"] = {"cloudnet.dev/external-id": external_id}
    rule["spec"]["managementPolicy"] = "ObserveOnly"
    cluster.kubectl.apply(rule)
    status = wait_for(
        lambda: (s := cluster.status("watched")).get("drift") and s,
        what="the mismatch in status.drift",
    )
    assert status["externalId"] == external_id
    assert status["observed"]
    [drift] = status["drift"]
    assert drift["path"].endswith(("externalServicePort", "externalPort"))
    assert (drift["desired"], drift["observed"]) == ("6001", "6000")
    synced = {c["type"]: c for c in status["conditions"]}["Synced"]
    assert synced["reason"] == "Observed" and "differ" in synced["message"]

    cluster.kubectl("delete", "dnat", "watched", "-n", "demo", "--wait=false")
    wait_for(lambda: not cluster.get("watched"), what="the DnatRule to go")
    assert writes(cluster) == []  # observed, never written, not even on delete
    assert port_of(cluster, provider) == ["6000"]
