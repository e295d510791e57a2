"""The alibaba-sag provider against the simulator: batched observation costs and the key.

The closing figure of the SAG issue comes from here: observing 200 entries
on one SAG costs one paged listing per Type, 50 entries a page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from cloudnet.api.alibaba_sag import AlibabaSagSpec
from cloudnet.clouds.alibaba import SAG_ERRORS, AlibabaCredentials, AlibabaRpcClient
from cloudnet.providers.alibaba_sag import AlibabaSagProvider
from cloudnet.sim.server import create_app
from tests.sim.simkit import sim

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
    app = create_app(admin=True)
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
    assert [d.path for d in moved.drift] == ["spec.alibabaSag.externalPort"]
    assert not (await provider.find(spec(9090))).exists


async def test_delete_of_a_vanished_entry_is_done(provider: AlibabaSagProvider) -> None:
    created = await provider.create(spec(8080))
    assert created.external_id
    await provider.delete(spec(8080), created.external_id)
    again = await provider.delete(spec(8080), created.external_id)  # InvalidParameter: gone
    assert again.external_id == created.external_id
    assert not (await provider.observe(spec(8080), created.external_id)).exists
