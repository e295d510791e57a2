"""The alibaba-sag provider against the simulator: batched observation costs and the key.

The closing figure of the SAG issue comes from here: observing 200 entries
on one SAG costs one paged listing per Type, 50 entries a page. The last
tests run the reconcile core's replace (SAG declares ``UpdateStyle.REPLACE``)
on the real provider: the new key is checked before the old entry goes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from cloudnet.clouds.alibaba import AlibabaCredentials, AlibabaRpcClient
from cloudnet.core.outcome import Done, Retry
from cloudnet.core.reconciler import Policy, Reconciler
from cloudnet.core.resource import Resource
from cloudnet.providers.alibaba_sag import AlibabaSagProvider
from cloudnet.providers.alibaba_sag.errors import SAG_ERRORS
from cloudnet.providers.alibaba_sag.spec import AlibabaSagSpec
from cloudnet.sim.server import create_app
from tests.fixtures.core_fakes import FakeCluster, conditions_of
from tests.fixtures.simkit import fresh_inventory, sim

ALI_AK, ALI_SK = "LTAI5tSimQ7m2X9c1Lp0EaKw", "sImAliSk0Z8vQ3nB6yT1rW4eU7iO9pA2"
SAG = "sag-0nnvdb0r1mtjv5a7k2"


def spec(port: int, **extra: str) -> AlibabaSagSpec:
    return AlibabaSagSpec.model_validate(
        {
            "regionId": "cn-shanghai",
            "sagId": SAG,
            "externalIp": "10.10.1.1",
            "externalPort": port,
            "internalIp": "192.168.10.5",
            "internalPort": 80,
            "ipProtocol": "TCP",
            **extra,
        }
    )


@pytest.fixture
async def provider() -> AsyncIterator[AlibabaSagProvider]:
    app = create_app(inventory=fresh_inventory(), admin=True)
    sim(app).store.inventory.settings.throttle_rate = 0
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        client = AlibabaRpcClient(
            http,
            endpoint="http://smartag.cn-shanghai.sim.test",
            credentials=AlibabaCredentials(access_key_id=ALI_AK, access_key_secret=ALI_SK),
            version="2018-03-13",
            errors=SAG_ERRORS,
        )
        yield AlibabaSagProvider(client)


def describe_calls(provider: AlibabaSagProvider) -> int:
    app = provider.client._http._transport.app  # type: ignore[attr-defined]
    return sum(1 for e in sim(app).log.entries() if e["action"] == "DescribeDnatEntries")


async def test_observing_200_entries_costs_five_calls(provider: AlibabaSagProvider) -> None:
    specs = {}
    for port in range(10000, 10200):
        created = await provider.create(spec(port))
        assert created.external_id
        specs[created.external_id] = spec(port)
    before = describe_calls(provider)
    observations = await provider.observe_many(f"cn-shanghai/{SAG}", specs)
    calls = describe_calls(provider) - before
    assert len(observations) == 200 and all(
        o.exists and o.up_to_date for o in observations.values()
    )
    # Intranet: 200 entries / 50 per page = 4 pages; Internet: 1 (empty) page
    assert calls == 5


async def test_drift_and_find_by_key(provider: AlibabaSagProvider) -> None:
    created = await provider.create(spec(8080))
    assert created.external_id
    found = await provider.find(spec(8080))
    assert found.exists and found.external_id == created.external_id
    moved = await provider.observe(spec(9090), created.external_id)
    assert moved.delta.paths == ["spec.alibabaSag.externalPort"]
    assert moved.delta.keys == {"ExternalPort"}
    assert not (await provider.find(spec(9090))).exists


async def test_delete_of_a_vanished_entry_is_done(provider: AlibabaSagProvider) -> None:
    created = await provider.create(spec(8080))
    assert created.external_id
    await provider.delete(spec(8080), created.external_id)
    again = await provider.delete(spec(8080), created.external_id)  # InstanceNotExit: gone
    assert again.external_id == created.external_id
    assert not (await provider.observe(spec(8080), created.external_id)).exists


def sag_actions(provider: AlibabaSagProvider) -> list[str]:
    app = provider.client._http._transport.app  # type: ignore[attr-defined]
    return [str(e["action"]) for e in sim(app).log.entries()]


def resource_for(cluster: FakeCluster, entry_id: str) -> Resource:
    cluster.add(
        {
            "kind": "DnatRule",
            "metadata": {"namespace": "demo", "name": "sag", "generation": 2},
            "status": {"externalId": entry_id, "phase": "ACTIVE", "observedGeneration": 1},
        }
    )
    return cluster.resource("DnatRule", "demo", "sag")


async def listed_ports(provider: AlibabaSagProvider) -> dict[str, str]:
    entries = provider.entries("cn-shanghai", SAG, "Intranet")
    return {str(e["DnatEntryId"]): str(e["ExternalPort"]) async for e, _ in entries}


async def test_replace_onto_a_key_another_entry_holds_keeps_the_old_entry(
    provider: AlibabaSagProvider,
) -> None:
    """The new key is checked first: a Conflict, and no DeleteDnatEntry is sent."""
    ours = await provider.create(spec(8080))
    theirs = await provider.create(spec(9090))
    assert ours.external_id and theirs.external_id
    cluster = FakeCluster()
    reconciler = Reconciler(
        resource=resource_for(cluster, ours.external_id),
        kube=cluster,
        provider=provider,
        spec=spec(9090),
        policy=Policy(),
    )
    before = len(sag_actions(provider))
    outcome = await reconciler.reconcile()
    assert isinstance(outcome, Retry), outcome
    assert "DeleteDnatEntry" not in sag_actions(provider)[before:]
    assert "AddDnatEntry" not in sag_actions(provider)[before:]
    assert await listed_ports(provider) == {ours.external_id: "8080", theirs.external_id: "9090"}
    status = cluster.status_of("DnatRule", "demo", "sag")
    assert status["externalId"] == ours.external_id
    synced = conditions_of(status)["Synced"]
    assert (synced["status"], synced["reason"]) == ("False", "Conflict")
    assert theirs.external_id in synced["message"]
    assert "cloudnet.dev/create-pending" not in cluster.annotations_of("DnatRule", "demo", "sag")


async def test_replace_onto_a_free_key_deletes_then_adds(provider: AlibabaSagProvider) -> None:
    ours = await provider.create(spec(8080))
    assert ours.external_id
    cluster = FakeCluster()
    reconciler = Reconciler(
        resource=resource_for(cluster, ours.external_id),
        kube=cluster,
        provider=provider,
        spec=spec(9091),
        policy=Policy(),
    )
    before = len(sag_actions(provider))
    outcome = await reconciler.reconcile()
    assert isinstance(outcome, Done), outcome
    sent = [a for a in sag_actions(provider)[before:] if a != "DescribeDnatEntries"]
    assert sent == ["DeleteDnatEntry", "AddDnatEntry"]
    [(new_id, port)] = (await listed_ports(provider)).items()
    assert port == "9091" and new_id != ours.external_id
    status = cluster.status_of("DnatRule", "demo", "sag")
    assert status["externalId"] == new_id
    assert conditions_of(status)["Synced"]["reason"] == "Replaced"
    assert "cloudnet.dev/create-pending" not in cluster.annotations_of("DnatRule", "demo", "sag")


async def test_find_many_answers_each_key_as_find_does_from_one_listing(
    provider: AlibabaSagProvider,
) -> None:
    """The coalesced key check (``cloudnet.core.batch``) must say what each find says."""
    ids = {}
    for port in range(11000, 11060):
        created = await provider.create(spec(port))
        ids[port] = created.external_id
    asked = [
        spec(11003),  # held
        spec(11059),  # held, on the second page
        spec(11003, internalIp="192.168.10.9"),  # the key is the external side: held
        spec(12000),  # free
        spec(11010, ipProtocol="UDP"),  # another protocol: free
    ]
    singles = [await provider.find(s) for s in asked]
    before = describe_calls(provider)
    together = await provider.find_many(f"cn-shanghai/{SAG}", asked)
    calls = describe_calls(provider) - before
    assert [(o.exists, o.external_id) for o in together] == [
        (o.exists, o.external_id) for o in singles
    ]
    assert [o.external_id for o in together[:3]] == [ids[11003], ids[11059], ids[11003]]
    assert calls == 2, "one listing of the one Type asked for: 60 entries, 50 a page"
