"""Every NAT reference rule at admission (schema + CEL), and the same verdict from the model.

The rules are those of "Querying Details of a DNAT Rule" (NAT Gateway API
reference). Each row is one situation: a change to a valid DnatRule, and
either None (accepted) or a fragment of the message the user must see.
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


def base() -> dict[str, Any]:
    return {
        "apiVersion": "cloudnet.dev/v1alpha1",
        "kind": "DnatRule",
        "metadata": {"name": "web", "namespace": "demo"},
        "spec": {
            "providerConfigRef": {"name": "huawei"},
            "huaweiNat": {
                "natGatewayId": "cda3a125-2406-456c-a11f-598e10578541",
                "floatingIpId": "bf99c679-9f41-4dac-8513-9c9228e713e1",
                "portId": "9a469561-daac-4c94-88f5-39366e5ea193",
                "protocol": "tcp",
                "internalServicePort": 993,
                "externalServicePort": 242,
            },
        },
    }


def with_(**changes: Any) -> dict[str, Any]:
    obj = base()
    block = obj["spec"]["huaweiNat"]
    for key, value in changes.items():
        if value is None:
            block.pop(key, None)
        else:
            block[key] = value
    return obj


CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ("valid", base(), None),
    ("valid private ip", with_(portId=None, privateIp="192.168.0.10"), None),
    ("valid global eip", with_(floatingIpId=None, globalEipId="geip-1"), None),
    ("valid udp", with_(protocol="udp"), None),
    (
        "valid all-port rule",
        with_(protocol="any", internalServicePort=0, externalServicePort=0),
        None,
    ),
    ("valid port 65535", with_(internalServicePort=65535, externalServicePort=1), None),
    (
        "valid ranges",
        with_(
            internalServicePort=None,
            externalServicePort=None,
            internalServicePortRange="1000-1010",
            externalServicePortRange="2000-2010",
        ),
        None,
    ),
    ("valid description 255", with_(description="d" * 255), None),
    # description <= 255 chars without < >
    ("description 256", with_(description="d" * 256), "description"),
    ("description <", with_(description="a<b"), "description"),
    ("description >", with_(description="a>b"), "description"),
    # exactly one of port id / private IP
    ("both port and ip", with_(privateIp="10.0.0.1"), "exactly one of portId or privateIp"),
    ("neither port nor ip", with_(portId=None), "exactly one of portId or privateIp"),
    ("private ip not ipv4", with_(portId=None, privateIp="10.0.0.300"), "privateIp"),
    # exactly one of floating IP / global EIP
    ("both eips", with_(globalEipId="geip-1"), "exactly one of floatingIpId or globalEipId"),
    ("no eip", with_(floatingIpId=None), "exactly one of floatingIpId or globalEipId"),
    # ports 0-65535
    ("internal port 65536", with_(internalServicePort=65536), "internalServicePort"),
    ("external port -1", with_(externalServicePort=-1), "externalServicePort"),
    ("port as string", with_(externalServicePort="80"), "externalServicePort"),
    ("no ports", with_(internalServicePort=None, externalServicePort=None), "not both"),
    ("one port only", with_(externalServicePort=None), "not both"),
    # protocol tcp/udp/any
    ("protocol TCP upper", with_(protocol="TCP"), "protocol"),
    ("protocol icmp", with_(protocol="icmp"), "protocol"),
    ("protocol missing", with_(protocol=None), "protocol"),
    # the all-port rule
    ("any with ports", with_(protocol="any"), "all-port"),
    ("port 0 with tcp", with_(internalServicePort=0, externalServicePort=0), "all-port"),
    ("internal 0 only", with_(protocol="any", internalServicePort=0), "both be 0"),
    ("external 0 only", with_(externalServicePort=0), "both be 0"),
    # port ranges a-b, a < b, equal lengths
    (
        "range lengths differ",
        with_(
            internalServicePort=None,
            externalServicePort=None,
            internalServicePortRange="1000-1010",
            externalServicePortRange="2000-2011",
        ),
        "same number of ports",
    ),
    (
        "range reversed",
        with_(
            internalServicePort=None,
            externalServicePort=None,
            internalServicePortRange="1010-1000",
            externalServicePortRange="2000-2010",
        ),
        "1 <= x < y <= 65535",
    ),
    (
        "range single port",
        with_(
            internalServicePort=None,
            externalServicePort=None,
            internalServicePortRange="1000-1000",
            externalServicePortRange="2000-2000",
        ),
        "1 <= x < y <= 65535",
    ),
    (
        "range from 0",
        with_(
            internalServicePort=None,
            externalServicePort=None,
            internalServicePortRange="0-10",
            externalServicePortRange="2000-2010",
        ),
        "1 <= x < y <= 65535",
    ),
    (
        "range over 65535",
        with_(
            internalServicePort=None,
            externalServicePort=None,
            internalServicePortRange="65530-65536",
            externalServicePortRange="2000-2006",
        ),
        "1 <= x < y <= 65535",
    ),
    (
        "range with spaces",
        with_(
            internalServicePort=None,
            externalServicePort=None,
            internalServicePortRange="1000 - 1010",
            externalServicePortRange="2000-2010",
        ),
        "internalServicePortRange",
    ),
    (
        "range with slash",
        with_(
            internalServicePort=None,
            externalServicePort=None,
            internalServicePortRange="1000/1010",
            externalServicePortRange="2000-2010",
        ),
        "internalServicePortRange",
    ),
    (
        "one range only",
        with_(internalServicePort=None, externalServicePort=None, internalServicePortRange="1-2"),
        "go together",
    ),
    (
        "ranges and ports",
        with_(internalServicePortRange="1000-1010", externalServicePortRange="2000-2010"),
        "not both",
    ),
    ("unknown field", with_(bogus="x"), "bogus"),
    ("gateway id empty", with_(natGatewayId=""), "natGatewayId"),
]


@pytest.mark.parametrize(("name", "obj", "expected"), CASES, ids=[c[0] for c in CASES])
def test_admission(name: str, obj: dict[str, Any], expected: str | None) -> None:
    errors = admit(CRD, obj)
    if expected == "bogus":
        # Kubernetes prunes unknown fields at admission; the model refuses them.
        assert errors == []
    elif expected is None:
        assert errors == []
    else:
        assert errors, f"{name} was admitted"
        assert any(expected in e for e in errors), errors


@pytest.mark.parametrize(("name", "obj", "expected"), CASES, ids=[c[0] for c in CASES])
def test_model_agrees(name: str, obj: dict[str, Any], expected: str | None) -> None:
    if expected is None:
        DnatRuleSpec.model_validate(obj["spec"])
        return
    with pytest.raises(pydantic.ValidationError) as info:
        DnatRuleSpec.model_validate(obj["spec"])
    text = str(info.value)
    assert (
        expected in text
        or expected.replace("Port", "_port") in text
        or any(
            expected in ".".join(str(p) for p in e["loc"]) or _alias_in(expected, e["loc"])
            for e in info.value.errors()
        )
    ), text


def _alias_in(expected: str, loc: tuple[Any, ...]) -> bool:
    from pydantic.alias_generators import to_camel

    return any(expected == to_camel(str(p)) for p in loc)


def test_exactly_one_provider_block() -> None:
    obj = base()
    del obj["spec"]["huaweiNat"]
    assert any("exactly one provider block" in e for e in admit(CRD, obj))
    with pytest.raises(pydantic.ValidationError, match="exactly one provider block"):
        DnatRuleSpec.model_validate(obj["spec"])


@pytest.mark.parametrize(
    ("field", "value"),
    [("natGatewayId", "another-gateway")],
)
def test_immutable_fields(field: str, value: Any) -> None:
    old = base()
    new = copy.deepcopy(old)
    new["spec"]["huaweiNat"][field] = value
    assert any(f"{field} is immutable" in e for e in admit(CRD, new, old))
    assert admit(CRD, copy.deepcopy(old), old) == []


def test_provider_config_ref_immutable() -> None:
    old = base()
    new = copy.deepcopy(old)
    new["spec"]["providerConfigRef"]["name"] = "other"
    assert any("providerConfigRef is immutable" in e for e in admit(CRD, new, old))


def test_mutable_fields_can_change() -> None:
    old = base()
    new = with_(externalServicePort=8080, description="changed", portId=None, privateIp="10.0.0.5")
    assert admit(CRD, new, old) == []


def test_policies() -> None:
    for field, good, bad in [
        ("deletionPolicy", "Orphan", "Restore"),
        ("managementPolicy", "ObserveOnly", "Observe"),
    ]:
        obj = base()
        obj["spec"][field] = good
        assert admit(CRD, obj) == []
        DnatRuleSpec.model_validate(obj["spec"])
        obj["spec"][field] = bad
        assert any(field in e for e in admit(CRD, obj))
        with pytest.raises(pydantic.ValidationError):
            DnatRuleSpec.model_validate(obj["spec"])
