"""The example manifests pass admission and the models, and name objects the simulator has."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from cloudnet.catalog import DnatRuleSpec, ProviderConfigSpec
from cloudnet.catalog import crds as build_crds
from tests.admission import admit

ROOT = Path(__file__).resolve().parents[2]
CRDS = {c["spec"]["names"]["kind"]: c for c in build_crds().values()}


def manifests() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted((ROOT / "examples" / "manifests").glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def test_every_custom_resource_is_admitted_and_valid() -> None:
    kinds = set()
    for doc in manifests():
        kinds.add(doc["kind"])
        if doc["kind"] in CRDS:
            assert admit(CRDS[doc["kind"]], doc) == [], doc["metadata"]["name"]
        if doc["kind"] == "DnatRule":
            DnatRuleSpec.model_validate(doc["spec"])
        if doc["kind"] == "ProviderConfig":
            ProviderConfigSpec.model_validate(doc["spec"])
    assert {"Namespace", "Secret", "ProviderConfig", "DnatRule"} <= kinds


def test_examples_fit_the_default_inventory() -> None:
    inventory = yaml.safe_load((ROOT / "examples" / "sim-inventory.yaml").read_text())
    docs = manifests()
    secret = next(d for d in docs if d["kind"] == "Secret")
    keys = {k["access_key"]: k for k in inventory["credentials"]["huawei"]["access_keys"]}
    key = keys[secret["stringData"]["accessKeyId"]]
    assert key["secret_key"] == secret["stringData"]["accessKeySecret"]
    pc = next(d for d in docs if d["kind"] == "ProviderConfig")
    assert pc["spec"]["projectId"] == key["project_id"]
    [project] = [p for p in inventory["huawei"]["projects"] if p["id"] == key["project_id"]]
    rule = next(d for d in docs if d["kind"] == "DnatRule")["spec"]["huaweiNat"]
    gateway = next(g for g in project["nat_gateways"] if g["id"] == rule["natGatewayId"])
    assert gateway["status"] == "ACTIVE" and gateway["admin_state_up"]
    eip = next(e for e in project["eips"] if e["id"] == rule["floatingIpId"])
    assert eip["bound_to"] is None
    port = next(p for p in project["ports"] if p["id"] == rule["portId"])
    assert port["vpc_id"] == gateway["vpc_id"]


def test_ens_example_fits_the_default_inventory() -> None:
    inventory = yaml.safe_load((ROOT / "examples" / "sim-inventory.yaml").read_text())
    docs = manifests()
    secret = next(d for d in docs if d["metadata"]["name"] == "alibaba-credentials")
    keys = {k["access_key_id"]: k for k in inventory["credentials"]["alibaba"]["access_keys"]}
    key = keys[secret["stringData"]["accessKeyId"]]
    assert key["access_key_secret"] == secret["stringData"]["accessKeySecret"]
    assert not key.get("read_only") and "products" not in key
    rule = next(d for d in docs if d["kind"] == "DnatRule" and "alibabaEns" in d["spec"])
    block = rule["spec"]["alibabaEns"]
    ens = inventory["alibaba"]["ens"]
    gateway = next(g for g in ens["nat_gateways"] if g["id"] == block["natGatewayId"])
    assert gateway["status"] == "Running"
    eip = next(e for e in ens["eips"] if e["ip_address"] == block["externalIp"])
    assert eip["instance_id"] == gateway["id"] and not eip.get("standby")
    assert all(s["snat_ip"] != eip["ip_address"] for s in ens["snat_entries"])
    instance = next(i for i in ens["instances"] if i["private_ip"] == block["internalIp"])
    assert instance["status"] == "Running" and instance["network_id"] == gateway["network_id"]


def test_nic_example_fits_the_default_inventory() -> None:
    inventory = yaml.safe_load((ROOT / "examples" / "sim-inventory.yaml").read_text())
    docs = manifests()
    [config] = [d for d in docs if d["kind"] == "NetworkInterfaceConfig"]
    spec = config["spec"]
    ecs = inventory["alibaba"]["ecs"]
    eni = next(e for e in ecs["network_interfaces"] if e["id"] == spec["networkInterfaceId"])
    assert eni["region_id"] == spec["regionId"] and eni["type"] == "Secondary"
    groups = {g["id"]: g for g in ecs["security_groups"]}
    assert all(groups[g]["vpc_id"] == eni["vpc_id"] for g in spec["securityGroupIds"])
    assert CRDS["NetworkInterfaceConfig"] and admit(CRDS["NetworkInterfaceConfig"], config) == []
