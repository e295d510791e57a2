"""The alibaba-ens provider against the simulator: a gone gateway proves its entries gone.

ENS reads an entry only through DescribeForwardTableEntries, which names the
entry's NAT gateway; once the gateway is released the read answers
InvalidParameter.NatNotFound for ever. Without reading that as "the entry is
gone", a DnatRule deleted after its gateway would keep its finalizer for ever.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from cloudnet.clouds.alibaba import AlibabaCredentials, AlibabaRpcClient
from cloudnet.clouds.errors import CloudError, ErrorClass
from cloudnet.core.outcome import Done
from cloudnet.core.reconciler import Policy, Reconciler
from cloudnet.providers.alibaba_ens import AlibabaEnsProvider
from cloudnet.providers.alibaba_ens.errors import ENS_ERRORS
from cloudnet.providers.alibaba_ens.spec import AlibabaEnsSpec
from cloudnet.sim.families.alibaba_ens.world import EnsTables
from cloudnet.sim.faults import FaultRule
from cloudnet.sim.server import create_app
from cloudnet.sim.state import Store
from tests.fixtures.alibaba_kit import AK, EIP1, NAT, SK, WEB1
from tests.fixtures.core_fakes import FakeCluster
from tests.fixtures.simkit import fresh_inventory, sim


def spec(port: int, gateway: str = NAT) -> AlibabaEnsSpec:
    return AlibabaEnsSpec.model_validate(
        {
            "natGatewayId": gateway,
            "externalIp": EIP1,
            "externalPort": port,
            "internalIp": WEB1,
            "internalPort": 80,
            "ipProtocol": "TCP",
        }
    )


@pytest.fixture
async def world() -> AsyncIterator[tuple[AlibabaEnsProvider, Store]]:
    app = create_app(inventory=fresh_inventory(), admin=True)
    store = sim(app).store
    store.inventory.settings.throttle_rate = 0
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        client = AlibabaRpcClient(
            http,
            endpoint="http://ens.sim.test",
            credentials=AlibabaCredentials(access_key_id=AK, access_key_secret=SK),
            version="2017-11-10",
            errors=ENS_ERRORS,
        )
        yield AlibabaEnsProvider(client), store


def release_gateway(store: Store, gateway_id: str) -> None:
    """What the cloud does when a gateway is released: it and its entries go."""
    ens = store.inventory.alibaba.ens
    ens.nat_gateways = [g for g in ens.nat_gateways if g.id != gateway_id]
    entries = store.tables(EnsTables).forward_entries
    for entry_id in [e.id for e in entries.values() if e.nat_gateway_id == gateway_id]:
        del entries[entry_id]
    store.commit()


async def test_an_entry_of_a_released_gateway_is_gone(
    world: tuple[AlibabaEnsProvider, Store],
) -> None:
    provider, store = world
    created = await provider.create(spec(8080))
    assert created.external_id
    assert (await provider.observe(spec(8080), created.external_id)).exists
    release_gateway(store, NAT)
    assert not (await provider.observe(spec(8080), created.external_id)).exists


async def test_other_refusals_of_the_read_are_no_proof(
    world: tuple[AlibabaEnsProvider, Store],
) -> None:
    provider, _ = world
    assert not (await provider.observe(spec(8080), "fwd-none")).exists
    # A refusal for another reason (the cloud's own code for a failed backend call).
    app = provider.client._http._transport.app  # type: ignore[attr-defined]
    sim(app).faults.add(
        FaultRule(
            family="alibaba-ens",
            action="DescribeForwardTableEntries",
            error_code="ens.interface.error",
            status=400,
        )
    )
    with pytest.raises(CloudError) as refused:
        await provider.observe(spec(8080), "fwd-none")
    assert refused.value.code == "ens.interface.error"
    assert refused.value.error_class is ErrorClass.TRANSIENT


async def test_delete_after_the_gateway_was_released_finishes(
    world: tuple[AlibabaEnsProvider, Store],
) -> None:
    provider, store = world
    created = await provider.create(spec(8080))
    release_gateway(store, NAT)
    cluster = FakeCluster()
    cluster.add(
        {
            "kind": "DnatRule",
            "metadata": {
                "namespace": "demo",
                "name": "ens",
                "generation": 1,
                "deletionTimestamp": "2026-12-01T00:00:00Z",
                "finalizers": ["cloudnet.dev/finalizer"],
            },
            "status": {"externalId": created.external_id, "phase": "ACTIVE"},
        }
    )
    reconciler = Reconciler(
        resource=cluster.resource("DnatRule", "demo", "ens"),
        kube=cluster,
        provider=provider,
        spec=spec(8080),
        policy=Policy(),
    )
    outcome = await reconciler.delete()
    assert isinstance(outcome, Done), outcome
    assert "gone" in outcome.reason
