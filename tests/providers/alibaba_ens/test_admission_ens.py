"""Every ENS reference rule for the alibabaEns block at admission, and the model's verdict.

The rules are those of the CreateForwardEntry and ModifyForwardEntry references
(ENS API reference).
"""

from __future__ import annotations

import copy
from typing import Any

import pydantic
import pytest

from cloudnet.catalog import DnatRuleSpec
from cloudnet.catalog import crds as build_crds
from tests.admission import admit

CRD = build_crds()["cloudnet.dev_dnatrules.yaml"]


def ens(**changes: Any) -> dict[str, Any]:
    block: dict[str, Any] = {
        "natGatewayId": "nat-5t7nh1cfm6kxiszlttr38xxxx",
        "externalIp": "100.64.1.10",
        "externalPort": "22",
        "internalIp": "10.0.0.5",
        "internalPort": "22",
    }
    for key, value in changes.items():
        if value is None:
            block.pop(key, None)
        else:
            block[key] = value
    return {
        "apiVersion": "cloudnet.dev/v1alpha1",
        "kind": "DnatRule",
        "metadata": {"name": "ssh", "namespace": "edge"},
        "spec": {"providerConfigRef": {"name": "ens"}, "alibabaEns": block},
    }


CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ("valid strings", ens(), None),
    ("valid ints", ens(externalPort=22, internalPort=2222), None),
    ("valid ranges", ens(externalPort="10/20", internalPort="80/90"), None),
    ("valid range of one", ens(externalPort="10/10", internalPort="80/80"), None),
    ("valid range of 1000", ens(externalPort="1/1000", internalPort="2001/3000"), None),
    ("valid full", ens(ipProtocol="TCP", forwardEntryName="ssh", healthCheckPort=22), None),
    (
        "valid health in range",
        ens(externalPort="10/20", internalPort="80/90", healthCheckPort=85),
        None,
    ),
    ("valid standby", ens(standbyExternalIp="100.64.1.11"), None),
    # the five required fields
    *[
        (f"missing {f}", ens(**{f: None}), f)
        for f in ("natGatewayId", "externalIp", "externalPort", "internalIp", "internalPort")
    ],
    # ports 1-65535 or a/b with a <= b
    ("port 0", ens(externalPort="0"), "port 1-65535"),
    ("port 65536 int", ens(internalPort=65536), "port 1-65535"),
    ("port words", ens(externalPort="ssh"), "port 1-65535"),
    ("range reversed", ens(externalPort="20/10", internalPort="90/80"), "a <= b"),
    ("range with hyphen", ens(externalPort="10-20", internalPort="80-90"), "port 1-65535"),
    ("range too big", ens(externalPort="1/1001", internalPort="2001/3001"), "at most 1000"),
    ("range sizes differ", ens(externalPort="10/20", internalPort="80/95"), "same number"),
    ("range and port", ens(externalPort="10/20", internalPort="80"), "both be ranges"),
    # IpProtocol TCP|UDP|Any
    ("protocol tcp lower", ens(ipProtocol="tcp"), "ipProtocol"),
    ("protocol ICMP", ens(ipProtocol="ICMP"), "ipProtocol"),
    # ForwardEntryName 2-128, not http(s)://
    ("name 1 char", ens(forwardEntryName="a"), "forwardEntryName"),
    ("name 129 chars", ens(forwardEntryName="a" * 129), "forwardEntryName"),
    ("name http", ens(forwardEntryName="http://x"), "http://"),
    ("name https", ens(forwardEntryName="https://x"), "http://"),
    # HealthCheckPort inside the internal range
    ("health outside", ens(healthCheckPort=23), "healthCheckPort"),
    (
        "health outside range",
        ens(externalPort="10/20", internalPort="80/90", healthCheckPort=91),
        "healthCheckPort",
    ),
    # valid IPv4 addresses
    ("external ip bad", ens(externalIp="100.64.1"), "externalIp"),
    ("internal ip v6", ens(internalIp="::1"), "internalIp"),
    ("standby ip bad", ens(standbyExternalIp="x"), "standbyExternalIp"),
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
    if expected is None:
        DnatRuleSpec.model_validate(obj["spec"])
        return
    with pytest.raises(pydantic.ValidationError):
        DnatRuleSpec.model_validate(obj["spec"])


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("natGatewayId", "nat-other", "natGatewayId is immutable"),
        ("standbyExternalIp", "100.64.1.12", "standbyExternalIp is immutable"),
    ],
)
def test_immutable(field: str, value: str, message: str) -> None:
    old = ens(standbyExternalIp="100.64.1.11")
    new = copy.deepcopy(old)
    new["spec"]["alibabaEns"][field] = value
    assert any(message in e for e in admit(CRD, new, old))
    added = ens(standbyExternalIp="100.64.1.11")
    assert any("standbyExternalIp is immutable" in e for e in admit(CRD, added, ens()))


def test_mutable_fields() -> None:
    old = ens()
    new = ens(externalIp="100.64.1.20", externalPort=2022, forwardEntryName="renamed")
    assert admit(CRD, new, old) == []


def test_one_provider_and_no_switching() -> None:
    huawei = {
        "natGatewayId": "g",
        "floatingIpId": "e",
        "portId": "p",
        "protocol": "tcp",
        "internalServicePort": 80,
        "externalServicePort": 80,
    }
    both = ens()
    both["spec"]["huaweiNat"] = huawei
    assert any("exactly one provider block" in e for e in admit(CRD, both))
    switched = ens()
    del switched["spec"]["alibabaEns"]
    switched["spec"]["huaweiNat"] = huawei
    assert any("provider block cannot change" in e for e in admit(CRD, switched, ens()))


def test_cloud_parameters() -> None:
    spec = DnatRuleSpec.model_validate(ens(externalPort=22, internalPort="2222")["spec"])
    assert spec.alibaba_ens is not None
    assert spec.alibaba_ens.to_cloud() == {
        "NatGatewayId": "nat-5t7nh1cfm6kxiszlttr38xxxx",
        "ExternalIp": "100.64.1.10",
        "ExternalPort": "22",
        "InternalIp": "10.0.0.5",
        "InternalPort": "2222",
    }
    assert spec.alibaba_ens.unique_key()[3] == "Any"  # the cloud's default protocol
