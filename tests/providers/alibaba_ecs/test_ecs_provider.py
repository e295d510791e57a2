"""The alibaba-ecs provider against the simulator: delta, write-only fields, restore, batch cost."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import yaml

from cloudnet.clouds.alibaba import AlibabaCredentials, AlibabaRpcClient
from cloudnet.core.provider import Delta, UpdateStyle
from cloudnet.providers.alibaba_ecs import AlibabaEcsProvider
from cloudnet.providers.alibaba_ecs.errors import ECS_ERRORS
from cloudnet.providers.alibaba_ecs.spec import NetworkInterfaceConfigSpec
from cloudnet.sim.server import create_app
from tests.fixtures.simkit import INVENTORY, fresh_inventory, sim

ALI_AK, ALI_SK = "LTAI5tSimQ7m2X9c1Lp0EaKw", "sImAliSk0Z8vQ3nB6yT1rW4eU7iO9pA2"
ENI = "eni-bp14f7k2m9xq3w8y5avl"


def spec(eni: str = ENI, **fields: Any) -> NetworkInterfaceConfigSpec:
    return NetworkInterfaceConfigSpec.model_validate(
        {
            "providerConfigRef": {"name": "ecs"},
            "regionId": "cn-hangzhou",
            "networkInterfaceId": eni,
            **fields,
        }
    )


@pytest.fixture
async def provider() -> AsyncIterator[AlibabaEcsProvider]:
    app = create_app(inventory=fresh_inventory(), admin=True)
    sim(app).store.inventory.settings.throttle_rate = 0
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        yield AlibabaEcsProvider(
            AlibabaRpcClient(
                http,
                endpoint="http://ecs.cn-hangzhou.sim.test",
                credentials=AlibabaCredentials(access_key_id=ALI_AK, access_key_secret=ALI_SK),
                version="2014-05-26",
                errors=ECS_ERRORS,
            )
        )


def calls(provider: AlibabaEcsProvider) -> list[str]:
    app = provider.client._http._transport.app  # type: ignore[attr-defined]
    return [str(e["action"]) for e in sim(app).log.entries()]


async def test_drift_then_update_then_in_line(provider: AlibabaEcsProvider) -> None:
    wanted = spec(
        description="managed by cloudnet",
        connectionTrackingConfiguration={"udpTimeout": 60},
        securityGroupIds=["sg-bp1dbq7m3k9x2w5v8t1a", "sg-bp1fg655nh68xyz9i4nc"],
    )
    before = await provider.observe(wanted, ENI)
    assert set(before.delta.paths) == {
        "spec.description",
        "spec.connectionTrackingConfiguration.udpTimeout",
        "spec.securityGroupIds",
    }
    assert before.delta.keys == {
        "Description",
        "ConnectionTrackingConfiguration",
        "SecurityGroupId",
    }
    snapshot = provider.snapshot(before)
    before_calls = len(calls(provider))
    await provider.update(wanted, ENI, before.delta)
    assert calls(provider)[before_calls:] == ["ModifyNetworkInterfaceAttribute"]
    after = await provider.observe(wanted, ENI)
    assert after.up_to_date
    # Restore puts back exactly what the spec manages, in one Modify
    params = provider.restore_params(wanted, snapshot)
    assert set(params) == {"Description", "ConnectionTrackingConfiguration", "SecurityGroupId"}
    restored = await provider.restore(wanted, snapshot, after)
    assert restored is not None and restored.external_id == ENI
    back = await provider.observe(wanted, ENI)
    assert set(back.delta.paths) == set(before.delta.paths)
    # the ENI shows the original again: that is the proof, and no call is made
    before_calls = len(calls(provider))
    assert await provider.restore(wanted, snapshot, back) is None
    # a spec that manages nothing the snapshot holds: nothing to put back, no call
    assert await provider.restore(spec(), snapshot, after) is None
    assert calls(provider)[before_calls:] == []


async def test_update_sends_only_what_the_delta_names(provider: AlibabaEcsProvider) -> None:
    wanted = spec(description="only this", networkInterfaceName="and-not-this")
    observed = await provider.observe(wanted, ENI)
    only_description = Delta.of(d for d in observed.delta if d.key == "Description")
    await provider.update(wanted, ENI, only_description)
    after = await provider.observe(wanted, ENI)
    assert not after.delta.different_at("Description")
    assert after.delta.different_at("NetworkInterfaceName")


async def test_write_only_queue_sizes_are_not_compared(provider: AlibabaEcsProvider) -> None:
    wanted = spec(rxQueueSize=1024, txQueueSize=1024)
    delta = provider.write_only(wanted)
    assert [(d.key, d.path, d.desired, d.observed) for d in delta] == [
        ("RxQueueSize", "spec.rxQueueSize", "1024", None),
        ("TxQueueSize", "spec.txQueueSize", "1024", None),
    ]
    assert (await provider.observe(wanted, ENI)).up_to_date  # nothing it can see differs
    assert not provider.write_only(spec(description="nothing write-only"))
    # the write-only delta goes out as a Modify with those parameters
    before = len(calls(provider))
    await provider.update(wanted, ENI, delta)
    assert calls(provider)[before:] == ["ModifyNetworkInterfaceAttribute"]


async def test_capabilities_and_identity(provider: AlibabaEcsProvider) -> None:
    caps = provider.capabilities
    assert (caps.update, caps.creates, caps.snapshots, caps.write_only) == (
        UpdateStyle.IN_PLACE,
        False,
        True,
        True,
    )
    assert provider.identity(spec()) == ENI


async def test_unknown_eni_is_gone_not_an_error(provider: AlibabaEcsProvider) -> None:
    assert not (await provider.observe(spec("eni-bp1doesnotexist"), "eni-bp1doesnotexist")).exists


async def test_batched_drift_check_cost(provider: AlibabaEcsProvider) -> None:
    inventory = yaml.safe_load(INVENTORY.read_text())
    enis = [
        e["id"]
        for e in inventory["alibaba"]["ecs"]["network_interfaces"]
        if e["region_id"] == "cn-hangzhou"
    ]
    plain = {eni: spec(eni, networkInterfaceName="kept-name") for eni in enis}
    before = len(calls(provider))
    seen = await provider.observe_many("cn-hangzhou", plain)
    assert len(seen) == len(enis) and all(o.exists for o in seen.values())
    # one DescribeNetworkInterfaces for all of them (up to 100 ENIs per call)
    assert calls(provider)[before:] == ["DescribeNetworkInterfaces"]
    detailed = dict(plain)
    for eni in enis[:2]:  # the list call does not show connection tracking
        detailed[eni] = spec(eni, connectionTrackingConfiguration={"udpTimeout": 60})
    before = len(calls(provider))
    await provider.observe_many("cn-hangzhou", detailed)
    assert calls(provider)[before:] == [
        "DescribeNetworkInterfaces",
        "DescribeNetworkInterfaceAttribute",
        "DescribeNetworkInterfaceAttribute",
    ]
