"""AddDnatEntry's input rules for the alibabaSag block at admission, and the model's verdict."""

from __future__ import annotations

import copy
from typing import Any

import pydantic
import pytest

from cloudnet.catalog import DnatRuleSpec
from cloudnet.catalog import crds as build_crds
from tests.admission import admit

CRD = build_crds()["cloudnet.dev_dnatrules.yaml"]


def sag(**changes: Any) -> dict[str, Any]:
    block: dict[str, Any] = {
        "regionId": "cn-shanghai",
        "sagId": "sag-0nnvdb0r1mtjv1a2b3",
        "externalIp": "10.10.1.1",
        "externalPort": 8080,
        "internalIp": "192.168.10.5",
        "internalPort": "80",
        "ipProtocol": "TCP",
    }
    for key, value in changes.items():
        if value is None:
            block.pop(key, None)
        else:
            block[key] = value
    return {
        "apiVersion": "cloudnet.dev/v1alpha1",
        "kind": "DnatRule",
        "metadata": {"name": "branch-web", "namespace": "branch"},
        "spec": {"providerConfigRef": {"name": "sag"}, "alibabaSag": block},
    }


CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ("minimal", sag(), None),
    ("internet with ip", sag(type="Internet", externalIp="47.100.1.2"), None),
    ("internet without ip", sag(type="Internet", externalIp=None), None),
    ("intranet without ip", sag(externalIp=None), "externalIp is required"),
    ("port leading zero", sag(externalPort="080"), "port 1-65535"),
    ("intranet explicit", sag(type="Intranet"), None),
    ("udp", sag(ipProtocol="UDP"), None),
    ("any", sag(ipProtocol="Any"), None),
    *[
        (f"missing {f}", sag(**{f: None}), f)
        for f in ("regionId", "sagId", "externalPort", "internalIp", "internalPort", "ipProtocol")
    ],
    ("type bad", sag(type="Public"), "type"),
    ("protocol lower", sag(ipProtocol="tcp"), "ipProtocol"),
    ("port 0", sag(externalPort=0), "port 1-65535"),
    ("port 65536", sag(internalPort="65536"), "port 1-65535"),
    ("port range", sag(externalPort="10/20"), "port 1-65535"),
    ("port any", sag(externalPort="any"), "port 1-65535"),
    ("internal ip bad", sag(internalIp="192.168.10"), "internalIp"),
    ("external ip bad", sag(externalIp="x"), "externalIp"),
    ("sag id shape", sag(sagId="nat-1"), "sagId"),
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


@pytest.mark.parametrize(("field", "value"), [("regionId", "cn-beijing"), ("sagId", "sag-other")])
def test_scope_is_immutable(field: str, value: str) -> None:
    old = sag()
    new = copy.deepcopy(old)
    new["spec"]["alibabaSag"][field] = value
    assert any(f"{field} is immutable" in e for e in admit(CRD, new, old))


def test_other_fields_change_through_replacement() -> None:
    new = sag(externalPort=9090, internalIp="192.168.10.6", ipProtocol="UDP", type="Internet")
    assert admit(CRD, new, sag()) == []


def test_cloud_parameters_and_key() -> None:
    spec = DnatRuleSpec.model_validate(sag()["spec"]).alibaba_sag
    assert spec is not None
    # Type goes out even when the spec leaves it out: AddDnatEntry marks it required.
    assert spec.to_cloud() == {
        "RegionId": "cn-shanghai",
        "SagId": "sag-0nnvdb0r1mtjv1a2b3",
        "Type": "Intranet",
        "ExternalIp": "10.10.1.1",
        "ExternalPort": "8080",
        "InternalIp": "192.168.10.5",
        "InternalPort": "80",
        "IpProtocol": "TCP",
    }
    assert spec.unique_key() == ("sag-0nnvdb0r1mtjv1a2b3", "Intranet", "10.10.1.1", "8080", "tcp")
