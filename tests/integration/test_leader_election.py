"""High availability: two real ``cloudnet run --leader-elect`` processes, one Lease.

Short lease settings (lease 3 s, renew deadline 2 s, retry 0.5 s) keep the
tests fast; the algorithm and its margins are the same at the defaults
(15 / 10 / 2), where the take-over bound is lease + retry = ~17 s.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloudnet_devkit.kubeapi.runner import ServerHandle
from cloudnet_devkit.kubectl import Kubectl
from tests.integration.harness import Cluster, Process, Simulator, dnat_rule, wait_for

pytestmark = pytest.mark.integration

LEASE, RENEW, RETRY = 3.0, 2.0, 0.5
LEASE_NS, LEASE_NAME = "default", "cloudnet-ha-test"
LEASE_PATH = f"/apis/coordination.k8s.io/v1/namespaces/{LEASE_NS}/leases/{LEASE_NAME}"
#: Take-over bound after the leader dies: the standby sees its last renewal up to one
#: (jittered) retry late, the lease then runs out on the standby's clock, and its next
#: retry wins; the slack covers process scheduling on a loaded CI box.
TAKEOVER_BOUND = LEASE + 2 * RETRY * 1.2 + 1.0
RULES = 20


@pytest.fixture()
def ha_sim(tmp_path: Path) -> Iterator[Simulator]:
    simulator = Simulator(
        tmp_path,
        huawei_dnat_create_delay=0.8,
        huawei_dnat_delete_delay=0.5,
        throttle_rate=0,
        request_log_size=5000,
    ).start()
    yield simulator
    simulator.stop()


@pytest.fixture()
def ha_cluster(kubectl: Kubectl, tmp_path: Path, ha_sim: Simulator) -> Cluster:
    cluster = Cluster(kubectl, tmp_path, ha_sim)
    cluster.install()
    return cluster


def operator(cluster: Cluster, pod: str, *extra: str) -> Process:
    env = {**os.environ, "KUBECONFIG": cluster.kubectl.kubeconfig, "POD_NAME": pod}
    argv = [
        "run",
        "--drift-interval",
        "1",
        "--leader-elect",
        "--leader-election-namespace",
        LEASE_NS,
        "--leader-election-id",
        LEASE_NAME,
        "--leader-election-lease-duration",
        str(LEASE),
        "--leader-election-renew-deadline",
        str(RENEW),
        "--leader-election-retry-period",
        str(RETRY),
        *cluster.allow_sim(),
        *extra,
    ]
    return Process(argv, cluster.tmp / f"operator-{pod}.log", env=env)


class Lease:
    """The Lease read (and written) straight over HTTP: fast enough to time a take-over."""

    def __init__(self, kube: ServerHandle) -> None:
        self.http = httpx.Client(base_url=kube.url, timeout=5)

    def get(self) -> dict[str, Any]:
        response = self.http.get(LEASE_PATH)
        return dict(response.json()) if response.status_code == 200 else {}

    def holder(self) -> str:
        return str((self.get().get("spec") or {}).get("holderIdentity") or "")

    def put(self, body: dict[str, Any]) -> int:
        if not body.get("metadata", {}).get("resourceVersion"):
            url = LEASE_PATH.rsplit("/", 1)[0]
            return self.http.post(url, json=body).status_code
        return self.http.put(LEASE_PATH, json=body).status_code


def rules() -> list[dict[str, Any]]:
    return [dnat_rule(f"ha-{i:02d}", external_port=8100 + i) for i in range(RULES)]


def one_cloud_rule_each(sim: Simulator) -> Counter[int]:
    ports = Counter(int(r["external_service_port"]) for r in sim.rules())
    return ports


def active(cluster: Cluster) -> int:
    items = cluster.kubectl.json("get", "dnatrules", "-n", "demo")["items"]
    return sum(1 for item in items if (item.get("status") or {}).get("phase") == "ACTIVE")


def test_sigkill_of_the_leader_mid_work_the_standby_takes_over_and_creates_nothing_twice(
    ha_cluster: Cluster, kube_server: ServerHandle
) -> None:
    cluster, sim, lease = ha_cluster, ha_cluster.sim, Lease(kube_server)
    a = operator(cluster, "op-a", "--cloud-rate", "10").start()
    b = operator(cluster, "op-b", "--cloud-rate", "10")
    c = operator(cluster, "op-c")
    try:
        wait_for(lambda: lease.holder().startswith("op-a_"), timeout=20, what="op-a to lead")
        b.start()
        wait_for(lambda: "standing by" in b.output(), timeout=20, what="op-b to stand by")

        cluster.kubectl.apply(rules())
        wait_for(lambda: len(sim.rules()) >= 4, timeout=20, what="the leader to create some")
        a.kill()
        killed, killed_at = time.monotonic(), time.time()
        in_cloud_at_kill = len(sim.rules())
        wait_for(
            lambda: lease.holder().startswith("op-b_"),
            timeout=TAKEOVER_BOUND + 2,
            interval=0.05,
            what="op-b to take the Lease",
        )
        takeover = time.monotonic() - killed
        took_over_at = time.time()
        print(f"\ntake-over after SIGKILL: {takeover:.2f}s (lease {LEASE}s, retry {RETRY}s)")
        assert takeover <= TAKEOVER_BOUND, takeover
        assert in_cloud_at_kill < RULES, "the kill came after all work was done"

        wait_for(lambda: active(cluster) == RULES, timeout=30, what="every rule ACTIVE")
        ports = one_cloud_rule_each(sim)
        assert sorted(ports) == [8100 + i for i in range(RULES)]
        assert set(ports.values()) == {1}, f"created twice: {ports}"
        creates = [c for c in sim.requests("CreateNatGatewayDnatRule") if c["committed"]]
        assert len(creates) == RULES, "a create was sent again for a rule the cloud had"
        # nobody acts between the leader's death and the take-over (0.3 s for the
        # killed process's requests already on the wire)
        gap = [r for r in sim.requests() if killed_at + 0.3 < r["time"] < took_over_at]
        assert gap == [], gap
        assert (lease.get()["spec"]["leaseTransitions"]) >= 1

        # a rolling update: a new pod stands by, the old one gets SIGTERM and releases
        c.start()
        wait_for(lambda: "standing by" in c.output(), timeout=20, what="op-c to stand by")
        stopping = time.monotonic()
        b.stop()
        wait_for(
            lambda: lease.holder().startswith("op-c_"),
            timeout=RETRY * 1.2 + 3,
            interval=0.05,
            what="op-c to take the released Lease",
        )
        handover = time.monotonic() - stopping
        print(f"hand-over on a clean stop (SIGINT to Lease taken): {handover:.2f}s")
        assert "released the Lease" in b.output()
    finally:
        a.kill()
        b.stop()
        c.stop()
    assert "Traceback" not in b.output()


def test_the_standby_makes_no_cloud_call_and_no_write_until_it_holds_the_lease(
    ha_cluster: Cluster, kube_server: ServerHandle
) -> None:
    """A Lease another holder keeps valid; then that holder releases it (a rolling update)."""
    cluster, sim, lease = ha_cluster, ha_cluster.sim, Lease(kube_server)
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
    held = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": LEASE_NAME, "namespace": LEASE_NS},
        "spec": {
            "holderIdentity": "elsewhere_x",
            "leaseDurationSeconds": 3600,
            "acquireTime": now,
            "renewTime": now,
            "leaseTransitions": 0,
        },
    }
    assert lease.put(held) == 201
    cluster.kubectl.apply(rules()[:3])
    served_before = kube_server.call(lambda api: api._served)
    b = operator(cluster, "op-b").start()
    try:
        wait_for(lambda: "standing by" in b.output(), timeout=20, what="op-b to stand by")
        # a few retry periods of waiting, counted by its reads of the Lease
        wait_for(
            lambda: sum(1 for r in operator_requests(kube_server, served_before)) >= 5,
            timeout=10,
            what="op-b to poll the Lease",
        )
        seen = operator_requests(kube_server, served_before)
        assert {(r.method, r.url.path) for r in seen} == {("GET", LEASE_PATH)}
        assert sim.requests() == []
        items = cluster.kubectl.json("get", "dnatrules", "-n", "demo")["items"]
        assert all(not item["metadata"].get("finalizers") for item in items)
        assert all(not item.get("status") for item in items)

        # the holder steps down as a clean stop does (client-go's release)
        current = lease.get()
        current["spec"] |= {"holderIdentity": "", "leaseDurationSeconds": 1}
        released = time.monotonic()
        assert lease.put(current) == 200
        wait_for(
            lambda: lease.holder().startswith("op-b_"),
            timeout=RETRY * 1.2 + 2,
            interval=0.05,
            what="op-b to take the released Lease",
        )
        print(f"\ntake-over after a release: {time.monotonic() - released:.2f}s")
        wait_for(lambda: active(cluster) == 3, timeout=20, what="the rules ACTIVE")
    finally:
        b.stop()
    # a clean stop gives the Lease up at once
    assert lease.holder() == ""
    assert "released the Lease" in b.output()


def operator_requests(kube: ServerHandle, since: int) -> list[Any]:
    """Requests from the official Python client (the operator), not kubectl or this test."""
    requests = kube.call(lambda api: list(api._requests))
    return [
        r
        for r in requests
        if r.id >= since and str(r.headers.get("User-Agent", "")).startswith("OpenAPI-Generator")
    ]
