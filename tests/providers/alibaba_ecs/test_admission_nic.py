"""Every ECS reference rule admission can check for NetworkInterfaceConfig, and the model.

The rules are those of the ModifyNetworkInterfaceAttribute reference (ECS API reference).
"""

from __future__ import annotations

import copy
from typing import Any

import pydantic
import pytest

from cloudnet.catalog import crds as build_crds
from cloudnet.providers.alibaba_ecs.spec import NetworkInterfaceConfigSpec
from tests.admission import admit

CRD = build_crds()["cloudnet.dev_networkinterfaceconfigs.yaml"]


def nic(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "providerConfigRef": {"name": "ecs"},
        "regionId": "cn-hangzhou",
        "networkInterfaceId": "eni-bp1aaaaaaaaaaaaaaaaa",
    }
    for key, value in spec.items():
        if value is None:
            base.pop(key, None)
        else:
            base[key] = value
    return {
        "apiVersion": "cloudnet.dev/v1alpha1",
        "kind": "NetworkInterfaceConfig",
        "metadata": {"name": "eni", "namespace": "net"},
        "spec": base,
    }


FULL = nic(
    networkInterfaceName="web-eni_01",
    description="managed by cloudnet",
    queueNumber=8,
    securityGroupIds=["sg-bp1a", "sg-bp1b"],
    deleteOnRelease=False,
    rxQueueSize=8192,
    txQueueSize=8192,
    networkInterfaceTrafficConfig={"networkInterfaceTrafficMode": "Standard"},
    connectionTrackingConfiguration={
        "tcpEstablishedTimeout": 910,
        "tcpClosedAndTimeWaitTimeout": 3,
        "udpTimeout": 30,
    },
    enhancedNetwork={
        "enableSriov": True,
        "enableRss": False,
        "virtualFunctionTotalQueueNumber": 8,
        "virtualFunctionQuantity": 4,
    },
    sourceDestCheck=True,
    deletionPolicy="Restore",
    managementPolicy="Manage",
)

TRAFFIC = "networkInterfaceTrafficConfig"
CT = "connectionTrackingConfiguration"
EN = "enhancedNetwork"

CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ("minimal", nic(), None),
    ("every parameter", FULL, None),
    ("chinese name", nic(networkInterfaceName="网卡-01"), None),
    (
        "high performance",
        nic(
            **{
                TRAFFIC: {
                    "networkInterfaceTrafficMode": "HighPerformance",
                    "queuePairNumber": 8,
                    "queueNumber": 8,
                    "rxQueueSize": 1024,
                    "txQueueSize": 1024,
                }
            }
        ),
        None,
    ),
    # RegionId and NetworkInterfaceId required
    ("no region", nic(regionId=None), "regionId"),
    ("no eni", nic(networkInterfaceId=None), "networkInterfaceId"),
    ("eni id shape", nic(networkInterfaceId="sg-123"), "networkInterfaceId"),
    # NetworkInterfaceName
    ("name 1 char", nic(networkInterfaceName="a"), "networkInterfaceName"),
    ("name 129", nic(networkInterfaceName="a" * 129), "networkInterfaceName"),
    ("name digit first", nic(networkInterfaceName="1eni"), "networkInterfaceName"),
    ("name http", nic(networkInterfaceName="http://x"), "networkInterfaceName"),
    ("name space", nic(networkInterfaceName="my eni"), "networkInterfaceName"),
    # Description
    ("description 1", nic(description="a"), "description"),
    ("description 256", nic(description="a" * 256), "description"),
    ("description https", nic(description="https://x.example"), "http"),
    # QueueNumber 1-2048
    ("queues 0", nic(queueNumber=0), "queueNumber"),
    ("queues 2049", nic(queueNumber=2049), "queueNumber"),
    # SecurityGroupIds, no duplicates
    ("groups repeated", nic(securityGroupIds=["sg-a", "sg-a"]), "repeat"),
    ("groups empty", nic(securityGroupIds=[]), "securityGroupIds"),
    # Rx/Tx equal
    ("rx without tx", nic(rxQueueSize=1024), "equal"),
    ("rx != tx", nic(rxQueueSize=1024, txQueueSize=2048), "equal"),
    # top-level or nested, not both
    ("queues twice", nic(queueNumber=8, **{TRAFFIC: {"queueNumber": 8}}), "not both"),
    (
        "rx twice",
        nic(rxQueueSize=8, txQueueSize=8, **{TRAFFIC: {"rxQueueSize": 8, "txQueueSize": 8}}),
        "not both",
    ),
    # traffic config
    (
        "mode bad",
        nic(**{TRAFFIC: {"networkInterfaceTrafficMode": "Fast"}}),
        "networkInterfaceTrafficMode",
    ),
    (
        "pairs with standard",
        nic(**{TRAFFIC: {"networkInterfaceTrafficMode": "Standard", "queuePairNumber": 4}}),
        "queuePairNumber",
    ),
    ("pairs without mode", nic(**{TRAFFIC: {"queuePairNumber": 4}}), "queuePairNumber"),
    ("nested rx != tx", nic(**{TRAFFIC: {"rxQueueSize": 8, "txQueueSize": 16}}), "equal"),
    # connection tracking
    ("tcp established 90", nic(**{CT: {"tcpEstablishedTimeout": 90}}), "tcpEstablishedTimeout"),
    ("time wait 2", nic(**{CT: {"tcpClosedAndTimeWaitTimeout": 2}}), "tcpClosedAndTimeWaitTimeout"),
    (
        "time wait 16",
        nic(**{CT: {"tcpClosedAndTimeWaitTimeout": 16}}),
        "tcpClosedAndTimeWaitTimeout",
    ),
    ("udp 40", nic(**{CT: {"udpTimeout": 40}}), "udpTimeout"),
    # enhanced network
    ("sriov without vf", nic(**{EN: {"enableSriov": True}}), "enableSriov"),
    (
        "sriov vf 257",
        nic(
            **{
                EN: {
                    "enableSriov": True,
                    "virtualFunctionTotalQueueNumber": 8,
                    "virtualFunctionQuantity": 257,
                }
            }
        ),
        "virtualFunctionQuantity",
    ),
    ("vf without sriov", nic(**{EN: {"virtualFunctionQuantity": 2}}), "enableSriov"),
    (
        "vf with sriov false",
        nic(**{EN: {"enableSriov": False, "virtualFunctionTotalQueueNumber": 8}}),
        "enableSriov",
    ),
    # policies
    ("deletion Delete", nic(deletionPolicy="Delete"), "deletionPolicy"),
    ("unknown field", nic(bogus=1), None),  # pruned by the API server, refused by the model
]


@pytest.mark.parametrize(("name", "obj", "expected"), CASES, ids=[c[0] for c in CASES])
def test_admission(name: str, obj: dict[str, Any], expected: str | None) -> None:
    errors = admit(CRD, obj)
    if expected is None:
        assert errors == []
    else:
        assert any(expected in e for e in errors), errors


@pytest.mark.parametrize(("name", "obj", "expected"), CASES, ids=[c[0] for c in CASES])
def test_model_agrees(name: str, obj: dict[str, Any], expected: str | None) -> None:
    if expected is None and name != "unknown field":
        NetworkInterfaceConfigSpec.model_validate(obj["spec"])
        return
    with pytest.raises(pydantic.ValidationError):
        NetworkInterfaceConfigSpec.model_validate(obj["spec"])


@pytest.mark.parametrize("field", ["regionId", "networkInterfaceId", "providerConfigRef"])
def test_immutable(field: str) -> None:
    old = nic()
    new = copy.deepcopy(old)
    new["spec"][field] = {"name": "other"} if field == "providerConfigRef" else "eni-other1"
    if field == "regionId":
        new["spec"][field] = "cn-beijing"
    assert any(f"{field} is immutable" in e for e in admit(CRD, new, old))


def test_traffic_mode_cannot_go_back_to_standard() -> None:
    old = nic(**{TRAFFIC: {"networkInterfaceTrafficMode": "HighPerformance"}})
    new = nic(**{TRAFFIC: {"networkInterfaceTrafficMode": "Standard"}})
    assert any("cannot go back" in e for e in admit(CRD, new, old))
    assert admit(CRD, old, nic(**{TRAFFIC: {"networkInterfaceTrafficMode": "Standard"}})) == []


def test_cloud_parameters() -> None:
    spec = NetworkInterfaceConfigSpec.model_validate(FULL["spec"])
    params = spec.to_cloud()
    assert params["SecurityGroupId"] == ["sg-bp1a", "sg-bp1b"]
    assert params["NetworkInterfaceTrafficConfig"] == {"NetworkInterfaceTrafficMode": "Standard"}
    assert params["ConnectionTrackingConfiguration"]["TcpEstablishedTimeout"] == 910
    assert params["EnhancedNetwork"]["VirtualFunctionQuantity"] == 4
    assert "DeletionPolicy" not in params and "ProviderConfigRef" not in params


def test_printer_columns() -> None:
    columns = [c["name"].upper() for c in CRD["spec"]["versions"][0]["additionalPrinterColumns"]]
    assert columns == ["ENI", "PHASE", "READY", "AGE"]
    assert CRD["spec"]["names"]["shortNames"] == ["nic"]
