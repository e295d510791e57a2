"""Inventory loading and --state persistence across restarts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from cloudnet.sim.families.huawei_nat.world import NatTables
from cloudnet.sim.registry import installed, load_inventory
from cloudnet.sim.server import create_app
from tests.fixtures.simkit import (
    AK,
    GW,
    INVENTORY,
    PROJECT,
    RULES,
    SK,
    ClientFactory,
    FakeClock,
    HuaweiSigner,
    free_port,
    rule_body,
    sim,
)
from tests.wait_kit import wait_until

PACKAGED = Path(__file__).resolve().parents[2] / "operator" / "cloudnet" / "sim"


def test_default_inventory_is_complete() -> None:
    world = load_inventory(None)
    assert world == load_inventory(INVENTORY)
    project = world.huawei.projects[0]
    assert project.id == PROJECT and project.region == "cn-north-4"
    states = {(g.status, g.admin_state_up) for g in project.nat_gateways}
    assert ("ACTIVE", True) in states and len(states) >= 3
    assert len(project.eips) >= 3 and project.global_eips and project.ports
    creds = world.credentials.huawei
    assert creds.access_keys[0].access_key == AK and creds.tokens
    # every id is unique
    ids = [o.id for p in world.huawei.projects for k in ("nat_gateways", "eips", "ports")
           for o in getattr(p, k)]  # fmt: skip
    assert len(ids) == len(set(ids))


def test_inventory_keeps_unknown_cloud_sections_but_rejects_typos(tmp_path: Path) -> None:
    data = yaml.safe_load(INVENTORY.read_text())
    data["azure"] = {"regions": [{"id": "eastus"}]}
    world = installed().validate(data)
    assert world.model_dump()["azure"] == {"regions": [{"id": "eastus"}]}
    data["huawei"]["projects"][0]["nat_gateway"] = []
    with pytest.raises(ValueError, match="nat_gateway"):
        installed().validate(data)


async def test_state_survives_a_restart(tmp_path: Path, make_client: ClientFactory) -> None:
    clock = FakeClock()
    state = tmp_path / "sim-state.json"
    first = create_app(state=state, clock=clock)
    assert state.exists()  # written at start
    client = make_client(application=first, auth=HuaweiSigner(AK, SK, clock=clock))
    created = await client.post(RULES, json=rule_body(description="persisted"))
    rule = created.json()["dnat_rule"]
    clock.advance(0.5)

    second = create_app(state=state, clock=clock)
    client2 = make_client(application=second, auth=HuaweiSigner(AK, SK, clock=clock))
    shown = await client2.get(f"{RULES}/{rule['id']}")
    assert shown.status_code == 200
    assert shown.json()["dnat_rule"]["description"] == "persisted"
    assert shown.json()["dnat_rule"]["status"] == "PENDING_CREATE"
    clock.advance(0.5)  # the lifecycle continues from the stored timestamps
    shown = await client2.get(f"{RULES}/{rule['id']}")
    assert shown.json()["dnat_rule"]["status"] == "ACTIVE"
    assert shown.json()["dnat_rule"]["created_at"] == rule["created_at"]


async def test_an_existing_state_file_wins_over_the_inventory(
    tmp_path: Path, make_client: ClientFactory
) -> None:
    state = tmp_path / "state.json"
    create_app(state=state)
    data = json.loads(state.read_text())
    data["inventory"]["settings"]["huawei_dnat_create_delay"] = 42.0
    state.write_text(json.dumps(data))
    other_inventory = tmp_path / "inv.yaml"
    other_inventory.write_text("settings: {huawei_dnat_create_delay: 7}\n")
    app = create_app(inventory=other_inventory, state=state)
    assert sim(app).settings.huawei_dnat_create_delay == 42.0
    assert sim(app).store.tables(NatTables).nat_gateway(PROJECT, GW) is not None
    # without a state file the inventory is used
    fresh = create_app(inventory=other_inventory)
    assert sim(fresh).settings.huawei_dnat_create_delay == 7
    assert sim(fresh).store.tables(NatTables).projects == {}


async def test_state_writes_are_atomic_and_leave_no_temporaries(
    tmp_path: Path, make_client: ClientFactory, clock: FakeClock
) -> None:
    state = tmp_path / "state.json"
    app = create_app(state=state, clock=clock)
    client = make_client(application=app, auth=HuaweiSigner(AK, SK, clock=clock))
    for port in range(3):
        body = rule_body(external_service_port=3000 + port, internal_service_port=3000 + port)
        await client.post(RULES, json=body)
    assert sorted(os.listdir(tmp_path)) == ["state.json"]
    saved = json.loads(state.read_text())["inventory"]["huawei"]["projects"][0]["dnat_rules"]
    assert len(saved) == 3


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    def up() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"cloudnet sim exited with {process.returncode}")
        try:
            httpx.get(url + "/_sim/settings", timeout=0.5)
        except httpx.TransportError:
            return False
        return True

    wait_until(up, timeout=20, interval=0.05, what=f"cloudnet sim to answer on {url}")


def test_cloudnet_sim_cli_persists_across_a_restart(tmp_path: Path) -> None:
    """`cloudnet sim --state` as a process: create, SIGTERM, start again, find the rule."""
    state = tmp_path / "state.json"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "cloudnet", "sim", "--port", str(port)]
    command += ["--state", str(state), "--admin"]
    env = {**os.environ, "PYTHONPATH": str(PACKAGED.parents[1])}
    rule_id = None
    for round_ in range(2):
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            _wait_until_up(url, process)
            with httpx.Client(base_url=url, auth=HuaweiSigner(AK, SK), timeout=5) as client:
                if round_ == 0:
                    response = client.post(RULES, json=rule_body())
                    assert response.status_code == 201
                    rule_id = response.json()["dnat_rule"]["id"]
                else:
                    shown = client.get(f"{RULES}/{rule_id}")
                    assert shown.status_code == 200, shown.text
                    assert shown.json()["dnat_rule"]["nat_gateway_id"] == GW
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)


def test_rule_table_indexes_follow_every_change() -> None:
    from cloudnet.sim.families.huawei_nat.inventory import DnatRule
    from cloudnet.sim.families.huawei_nat.world import RuleTable

    def rule(rule_id: str, gateway: str, eip: str = "", global_eip: str = "") -> DnatRule:
        return DnatRule(
            id=rule_id,
            tenant_id="p",
            nat_gateway_id=gateway,
            floating_ip_id=eip,
            global_eip_id=global_eip,
        )

    table = RuleTable()
    table["a"] = rule("a", "gw1", eip="e1")
    table["b"] = rule("b", "gw1", eip="e2")
    table["c"] = rule("c", "gw2", global_eip="g1")
    assert [r.id for r in table.of_gateway("gw1")] == ["a", "b"]
    assert [r.id for r in table.of_eip("g1")] == ["c"]
    table["b"] = rule("b", "gw2", eip="e1")  # a PUT stores a new object
    assert [r.id for r in table.of_gateway("gw1")] == ["a"]
    assert sorted(r.id for r in table.of_gateway("gw2")) == ["b", "c"]
    assert sorted(r.id for r in table.of_eip("e1")) == ["a", "b"] and table.of_eip("e2") == []
    del table["a"]
    assert table.of_gateway("gw1") == [] and [r.id for r in table.of_eip("e1")] == ["b"]
    assert table.pop("c").id == "c" and table.of_eip("g1") == []
    assert table.pop("none", None) is None
    table.clear()
    assert table.of_gateway("gw2") == [] and len(table) == 0
