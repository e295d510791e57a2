"""Benchmark: apply N DnatRules, measure convergence, cloud calls per resource and memory.

Real parts as in the integration tests: ``cloudnet sim`` (default delays:
1 s in PENDING_CREATE), the test Kubernetes API, a ``cloudnet run`` process,
real kubectl. Usage::

    .venv/bin/python bench/convergence.py --count 100 [--create-delay 1.0]

Prints a Markdown table row; figures go into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.harness import EIPS, Cluster, Simulator, dnat_rule

from cloudnet_devkit.kubeapi.runner import serve
from cloudnet_devkit.kubectl import Kubectl


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--create-delay", type=float, default=1.0)
    parser.add_argument("--settle", type=float, default=10.0, help="idle seconds after ACTIVE")
    parser.add_argument("--cloud-rate", type=float, default=20.0, help="cloudnet run --cloud-rate")
    args = parser.parse_args()
    if args.count > 400:
        raise SystemExit("at most 400: two gateways of the inventory x 200 rules (the quota)")

    tmp = Path(tempfile.mkdtemp(prefix="cloudnet-bench-"))
    sim = Simulator(
        tmp, huawei_dnat_create_delay=args.create_delay, throttle_rate=0, request_log_size=100000
    ).start()
    gateways = [
        "23a937a4-f3dc-41ed-bf54-6a9844aa46e5",  # natgw-demo
        "32e0e8a2-6d20-45f6-82cd-763d23e64b98",  # natgw-other
    ]
    with serve() as kube:
        kubeconfig = kube.kubeconfig(tmp / "kubeconfig")
        kubectl = Kubectl(kubeconfig, tmp / "cache")
        cluster = Cluster(kubectl, tmp, sim)
        cluster.install()
        cluster.operator.argv = [
            "run",
            "--drift-interval",
            "60",
            "--cloud-rate",
            str(args.cloud_rate),
            *cluster.allow_sim(),
        ]
        cluster.operator.env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
        cluster.operator.start()
        time.sleep(2)
        assert cluster.operator.proc is not None
        idle_rss = rss_mb(cluster.operator.proc.pid)
        rules = []
        for i in range(args.count):
            eip = EIPS[i // 200]
            # natgw-other lives in another VPC: its rules need a port of that VPC.
            extra = {} if i < 200 else {"portId": "6a1e8f3c-2d4b-4c7a-9e5f-1b3d5f7a9c2e"}
            gateway = gateways[0] if i < 200 else gateways[1]
            rules.append(
                dnat_rule(f"r{i:04d}", eip=eip, gateway=gateway, external_port=10000 + i, **extra)
            )
        sim.admin.delete("/_sim/requests")
        started = time.monotonic()
        kubectl.apply(rules)
        applied = time.monotonic() - started
        active_at: dict[str, float] = {}
        while len(active_at) < args.count:
            items = json.loads(kubectl("get", "dnat", "-n", "demo", "-o", "json").stdout)["items"]
            now = time.monotonic() - started
            for item in items:
                if (item.get("status") or {}).get("phase") == "ACTIVE":
                    active_at.setdefault(item["metadata"]["name"], now)
            if now > 600:
                raise SystemExit(f"only {len(active_at)} ACTIVE after 600 s")
            time.sleep(0.2)
        total = max(active_at.values())
        peak_rss = rss_mb(cluster.operator.proc.pid)
        time.sleep(args.settle)
        settled_rss = rss_mb(cluster.operator.proc.pid)
        calls = collections.Counter(e["action"] for e in sim.requests())
        cluster.operator.stop()
    sim.stop()
    times = sorted(active_at.values())
    per_resource = {k: round(v / args.count, 2) for k, v in sorted(calls.items())}
    print(
        f"| {args.count} | {args.create_delay:.1f} s | {applied:.1f} s | {total:.1f} s "
        f"| {statistics.median(times):.1f} s | {times[int(0.95 * (len(times) - 1))]:.1f} s "
        f"| {sum(calls.values()) / args.count:.2f} | {idle_rss:.0f} / {peak_rss:.0f} / "
        f"{settled_rss:.0f} MB |"
    )
    print("cloud calls per resource:", per_resource)


if __name__ == "__main__":
    main()
