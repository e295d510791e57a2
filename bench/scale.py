"""Performance at scale (tracker issue 11): ``cloudnet run`` beside a no-op kopf floor.

One run measures both operators against the same test Kubernetes API (served
in this process, so that every request and every status change is seen
without polling) and the same ``cloudnet sim`` process (Huawei NAT v2, no
create delay, no throttling, a generated inventory with one NAT gateway per
200 rules). For each operator the N DnatRules are created first and the
operator is started afterwards. Then:

* all ACTIVE, first ACTIVE, CPU per rule (``/proc/PID/stat``), time until
  quiet (no Kubernetes and no cloud request for ``--quiet`` seconds), RSS
  settled, the Kubernetes requests and cloud calls of the convergence;
* RSS over a window of drift passes (``--window``; ours runs with
  ``--drift-interval``), the cloud calls and Kubernetes requests of a pass;
* a restart with N ACTIVE: time until quiet, Kubernetes requests, cloud calls;
* apply → ACTIVE of ``--latency-rules`` single new rules, one at a time;
* idle RSS (the operator started on an empty namespace);
* rate-limited runs: the simulator throttles at R calls/s, ``cloudnet run
  --cloud-rate R`` and ``--cloud-rate`` above R: time against N/R, throttled
  answers.

Usage::

    .venv/bin/python bench/scale.py --small --output /tmp/scale.md   # CI: < 60 s
    .venv/bin/python bench/scale.py --count 1000 --json bench/results/n1000.json
    .venv/bin/python bench/scale.py --count 10000 --convergence-only \\
        --json bench/results/n10000.json
    .venv/bin/python bench/scale.py --report bench/results/n1000.json \\
        bench/results/n10000.json --notes bench/performance_notes.md --output docs/performance.md

Every run writes its figures as JSON (``--json``, default: the output with
``.json``) so that several runs can be rendered into one report
(``--report``). The plots are SVG files in a directory named after the
output (``docs/performance/`` for ``docs/performance.md``).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import datetime
import importlib.metadata
import json
import math
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import aiohttp.web
import attrs
import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.svgplot import downsample  # noqa: E402
from cloudnet.sim.registry import installed  # noqa: E402
from cloudnet_devkit.kubeapi.runner import ServerHandle, serve  # noqa: E402
from cloudnet_devkit.kubeapi.server import TestKubeAPI  # noqa: E402
from cloudnet_devkit.kubeapi.wire import Obj, StoreKey  # noqa: E402
from cloudnet_devkit.kubectl import Kubectl  # noqa: E402

FLOOR_SCRIPT = ROOT / "bench" / "floor_operator.py"
DNAT_KEY: StoreKey = ("cloudnet.dev", "dnatrules")
DNAT_API = "/apis/cloudnet.dev/v1alpha1"
BENCH_AGENT = "cloudnet-bench"
RULES_PER_GATEWAY = 200  # the simulator's (and Huawei's) quota per NAT gateway
HUAWEI_PAGE = 200  # ListNatGatewayDnatRules page size the operator uses (docs/benchmarks.md)
CLOUD_WRITES = {"CreateNatGatewayDnatRule", "UpdateNatGatewayDnatRule", "DeleteNatGatewayDnatRule"}
KUBE_WRITES = {"create", "patch", "update", "delete", "deletecollection"}
#: the VPC of the default inventory's natgw-demo, and a port in it (ecs-web-01)
VPC = "f5b7200b-b85c-45ce-87fb-b797c746af26"
PORT_ID = "12cf9091-5178-4185-8be3-2c13f3f41ac8"
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- the test API


@dataclass(frozen=True)
class KubeRequest:
    time: float
    who: str  # operator | bench | kubectl
    verb: str  # get list watch create patch update delete deletecollection
    resource: str  # plural[/subresource], or "(discovery)"
    namespace: str | None


def classify(method: str, path: str, query: Mapping[str, str]) -> tuple[str, str, str | None]:
    """(verb, resource, namespace) of a Kubernetes API request, as RBAC names them."""
    parts = [p for p in path.split("/") if p]
    if len(parts) < 2 or parts[0] not in ("api", "apis"):
        return method.lower(), "(discovery)", None
    rest = parts[2:] if parts[0] == "api" else parts[3:]
    if not rest:
        return method.lower(), "(discovery)", None
    namespace: str | None = None
    if rest[0] == "namespaces" and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    plural, name = rest[0], (rest[1] if len(rest) > 1 else None)
    resource = plural + (f"/{rest[2]}" if len(rest) > 2 else "")
    method = method.upper()
    if method == "GET":
        watch = query.get("watch") in ("true", "1")
        verb = "watch" if watch else ("list" if name is None else "get")
    elif method == "POST":
        verb = "create"
    elif method == "PATCH":
        verb = "patch"
    elif method == "PUT":
        verb = "update"
    elif method == "DELETE":
        verb = "delete" if name is not None else "deletecollection"
    else:
        verb = method.lower()
    return verb, resource, namespace


class Probe:
    """What the test API saw: every request, and when each DnatRule first became ACTIVE."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.requests: list[KubeRequest] = []
        self.last_operator_request = 0.0
        #: (namespace, name) -> epoch seconds of the first ACTIVE
        self.active: dict[tuple[str, str], float] = {}

    def request(self, method: str, path: str, query: Mapping[str, str], agent: str) -> None:
        now = time.time()
        if agent.startswith(BENCH_AGENT):
            who = "bench"
        elif agent.startswith("kubectl"):
            who = "kubectl"
        else:
            who = "operator"
        verb, resource, namespace = classify(method, path, query)
        with self.lock:
            self.requests.append(KubeRequest(now, who, verb, resource, namespace))
            if who == "operator":
                self.last_operator_request = now

    def changed(self, obj: Obj) -> None:
        if (obj.get("status") or {}).get("phase") != "ACTIVE":
            return
        meta = obj.get("metadata") or {}
        key = (str(meta.get("namespace")), str(meta.get("name")))
        if key in self.active:
            return
        with self.lock:
            self.active.setdefault(key, time.time())
            self.lock.notify_all()

    def active_in(self, namespace: str) -> dict[str, float]:
        with self.lock:
            return {name: t for (ns, name), t in self.active.items() if ns == namespace}

    def wait_active(
        self,
        namespace: str,
        names: set[str],
        deadline: float,
        alive: Callable[[], bool] = lambda: True,
    ) -> bool:
        """Block until every name is ACTIVE (True), or the deadline passes or ``alive`` fails."""
        with self.lock:
            while True:
                done = sum(1 for n in names if (namespace, n) in self.active)
                if done >= len(names):
                    return True
                left = deadline - time.time()
                if left <= 0 or not alive():
                    return False
                self.lock.wait(min(left, 1.0))

    def operator_requests(self, start: float, end: float) -> list[KubeRequest]:
        with self.lock:
            return [r for r in self.requests if r.who == "operator" and start <= r.time <= end]


@attrs.define(kw_only=True)
class ProbedKubeAPI(TestKubeAPI):
    """The project's test Kubernetes API, with a :class:`Probe` on requests and changes."""

    probe: Probe = attrs.field(factory=Probe)

    async def __call__(self, raw: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        self.probe.request(raw.method, raw.path, raw.query, raw.headers.get("User-Agent", ""))
        return await super().__call__(raw)

    def _emit(self, key: StoreKey, kind: str, obj: Obj, old: Obj | None = None) -> None:
        super()._emit(key, kind, obj, old)
        if key == DNAT_KEY and kind != "DELETED":
            self.probe.changed(obj)


# --------------------------------------------------------------------------- processes


@dataclass
class Sample:
    time: float
    rss_mb: float
    cpu_s: float


def proc_cpu_s(pid: int, tid: int | None = None) -> float:
    """utime + stime of a process (or one of its threads), in seconds (/proc/PID/stat)."""
    path = f"/proc/{pid}/stat" if tid is None else f"/proc/{pid}/task/{tid}/stat"
    text = Path(path).read_text()
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class OperatorProcess:
    """One operator process (ours or the floor), its log, and RSS/CPU samples every 0.5 s."""

    def __init__(self, label: str, argv: list[str], log: Path, env: dict[str, str]) -> None:
        self.label = label
        self.argv = argv
        self.log = log
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self.started = 0.0
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._sampler: threading.Thread | None = None

    def start(self) -> OperatorProcess:
        with self.log.open("ab") as out:
            self.started = time.time()
            self.proc = subprocess.Popen(
                self.argv, stdout=out, stderr=subprocess.STDOUT, env=self.env
            )
        self._stop.clear()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def _sample(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError, ValueError):
                self.samples.append(self.sample())
            self._stop.wait(0.5)

    def sample(self) -> Sample:
        return Sample(time.time(), proc_rss_mb(self.pid), proc_cpu_s(self.pid))

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        self._stop.set()
        if self._sampler is not None:
            self._sampler.join(2)
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log_lines(self) -> int:
        with self.log.open("rb") as fh:
            return sum(1 for _ in fh)


# --------------------------------------------------------------------------- the simulator


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def gateway_id(index: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"cloudnet-bench/natgw/{index}"))


def eip_id(index: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"cloudnet-bench/eip/{index}"))


def write_inventory(path: Path, gateways: int, log_size: int) -> dict[str, str]:
    """The bundled inventory plus ``gateways`` NAT gateways with one EIP each.

    Returns the Huawei project and test credentials the operator uses.
    """
    data = yaml.safe_load(installed().default_text())
    data["settings"].update(
        huawei_dnat_create_delay=0.0,
        huawei_dnat_update_delay=0.0,
        huawei_dnat_delete_delay=0.0,
        huawei_dnat_quota_per_gateway=RULES_PER_GATEWAY,
        throttle_rate=0,
        request_log_size=log_size,
    )
    project = data["huawei"]["projects"][0]
    for index in range(gateways):
        project["nat_gateways"].append(
            {
                "id": gateway_id(index),
                "name": f"natgw-bench-{index:03d}",
                "status": "ACTIVE",
                "admin_state_up": True,
                "vpc_id": VPC,
                "spec": "4",
            }
        )
        project["eips"].append(
            {
                "id": eip_id(index),
                "address": f"100.{100 + index // 250}.{index % 250}.1",
                "bound_to": None,
            }
        )
    installed().validate(data)  # fail here, not in the simulator
    path.write_text(yaml.safe_dump(data))
    key = next(
        k for k in data["credentials"]["huawei"]["access_keys"] if k["project_id"] == project["id"]
    )
    return {"project": project["id"], "ak": key["access_key"], "sk": key["secret_key"]}


class Simulator:
    def __init__(self, tmp: Path, inventory: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / "sim.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.inventory = inventory
        self.admin = httpx.Client(base_url=self.url, timeout=120)

    def start(self) -> Simulator:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    *("-m", "cloudnet", "sim", "--admin"),
                    *("--port", str(self.port), "--inventory", str(self.inventory)),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.time() + 30
        while time.time() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if self.admin.get("/_sim/settings").status_code == 200:
                    return self
            time.sleep(0.1)
        raise SystemExit(f"the simulator did not start; see {self.log}")

    def cpu_s(self) -> float:
        assert self.proc is not None
        return proc_cpu_s(self.proc.pid)

    def requests(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self.admin.get("/_sim/requests").json()["requests"]
        return entries

    def clear(self) -> None:
        self.admin.delete("/_sim/requests").raise_for_status()

    def settings(self, **changes: Any) -> None:
        self.admin.post("/_sim/settings", json=changes).raise_for_status()

    def stop(self) -> None:
        self.admin.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# --------------------------------------------------------------------------- the world


@dataclass
class Config:
    count: int
    quiet: float
    settle: float
    window: float
    floor_window: float
    drift_interval: float
    cloud_rate: float
    rate: float
    rate_count: int
    over_rate: float
    latency_rules: int
    converge_timeout: float
    quiet_timeout: float
    convergence_only: bool
    small: bool


def rule(name: str, namespace: str, slot: int) -> dict[str, Any]:
    """DnatRule number ``slot``: gateway slot // 200, its EIP, ports 1024 + slot % 200.

    The internal port follows the external one: the cloud lets a backend port
    (port_id, internal port, protocol) carry one rule per gateway.
    """
    index = slot // RULES_PER_GATEWAY
    return {
        "apiVersion": "cloudnet.dev/v1alpha1",
        "kind": "DnatRule",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "providerConfigRef": {"name": "huawei"},
            "huaweiNat": {
                "natGatewayId": gateway_id(index),
                "floatingIpId": eip_id(index),
                "portId": PORT_ID,
                "protocol": "tcp",
                "internalServicePort": 1024 + slot % RULES_PER_GATEWAY,
                "externalServicePort": 1024 + slot % RULES_PER_GATEWAY,
            },
        },
    }


class World:
    """The simulator, the test Kubernetes API, kubectl, and which cloud slots are taken."""

    def __init__(self, tmp: Path, sim: Simulator, kube: ServerHandle, creds: dict[str, str]):
        self.tmp = tmp
        self.sim = sim
        self.kube = kube
        self.creds = creds
        assert isinstance(kube.api, ProbedKubeAPI)
        if not callable(getattr(TestKubeAPI, "_emit", None)):
            raise SystemExit(
                "cloudnet_devkit.kubeapi.store.Store._emit is gone: update ProbedKubeAPI"
            )
        self.probe: Probe = kube.api.probe
        self.kubeconfig = kube.kubeconfig(tmp / "kubeconfig")
        self.kubectl = Kubectl(self.kubeconfig, tmp / "kubectl-cache")
        self.env = {**os.environ, "KUBECONFIG": str(self.kubeconfig), "PYTHONUNBUFFERED": "1"}
        self.next_slot = 0
        self.http = httpx.Client(base_url=kube.url, timeout=60, headers={"User-Agent": BENCH_AGENT})

    def api_cpu_s(self) -> float:
        """CPU of the thread that serves the test Kubernetes API (it runs in this process)."""
        thread = next(t for t in threading.enumerate() if t.name == "cloudnet-kube-api")
        return proc_cpu_s(os.getpid(), thread.native_id)

    def slots(self, count: int) -> list[int]:
        taken = list(range(self.next_slot, self.next_slot + count))
        self.next_slot += count
        return taken

    def namespace(self, name: str, *, provider: bool) -> None:
        manifests: list[Mapping[str, Any]] = [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        ]
        if provider:
            manifests += [
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": {"name": "huawei-credentials", "namespace": name},
                    "stringData": {
                        "accessKeyId": self.creds["ak"],
                        "accessKeySecret": self.creds["sk"],
                    },
                },
                {
                    "apiVersion": "cloudnet.dev/v1alpha1",
                    "kind": "ProviderConfig",
                    "metadata": {"name": "huawei", "namespace": name},
                    "spec": {
                        "provider": "huawei-nat",
                        "region": "cn-north-4",
                        "projectId": self.creds["project"],
                        "endpoint": self.sim.url,
                        # As fast as the account may go: --cloud-rate, the cap, decides.
                        "rateLimit": {"qps": 10000, "burst": 10000},
                        "credentialsSecretRef": {"name": "huawei-credentials"},
                    },
                },
            ]
        self.kubectl.apply(manifests)

    def create_rules(self, namespace: str, names: Sequence[str], slots: Sequence[int]) -> float:
        """POST the rules, 16 at a time; returns the seconds it took."""

        async def run() -> None:
            connector = aiohttp.TCPConnector(limit=16)
            headers = {"User-Agent": BENCH_AGENT}
            async with aiohttp.ClientSession(
                self.kube.url, connector=connector, headers=headers
            ) as http:
                semaphore = asyncio.Semaphore(16)

                async def one(name: str, slot: int) -> None:
                    path = f"{DNAT_API}/namespaces/{namespace}/dnatrules"
                    async with semaphore, http.post(path, json=rule(name, namespace, slot)) as r:
                        if r.status >= 300:
                            raise SystemExit(f"creating {name}: {r.status} {await r.text()}")

                await asyncio.gather(*(one(n, s) for n, s in zip(names, slots, strict=True)))

        started = time.time()
        asyncio.run(run())
        return time.time() - started

    def create_one(self, namespace: str, name: str, slot: int) -> None:
        response = self.http.post(
            f"{DNAT_API}/namespaces/{namespace}/dnatrules", json=rule(name, namespace, slot)
        )
        response.raise_for_status()

    def floor(self, namespace: str, tag: str) -> OperatorProcess:
        return OperatorProcess(
            "floor",
            [sys.executable, str(FLOOR_SCRIPT), "--namespace", namespace],
            self.tmp / f"floor-{tag}.log",
            self.env,
        )

    def ours(self, namespace: str, tag: str, *, cloud_rate: float, drift: float) -> OperatorProcess:
        return OperatorProcess(
            "ours",
            [
                sys.executable,
                *("-m", "cloudnet", "run", "--namespace", namespace),
                *("--cloud-rate", f"{cloud_rate:g}", "--drift-interval", f"{drift:g}"),
                # The simulator is http on loopback: allowed exactly.
                *("--allow-endpoint", self.sim.url),
            ],
            self.tmp / f"ours-{tag}.log",
            self.env,
        )

    # -- observing -------------------------------------------------------------------

    def cloud_calls(self, start: float, end: float) -> list[dict[str, Any]]:
        return [e for e in self.sim.requests() if start <= float(e["time"]) <= end]

    def wait_quiet(
        self,
        start: float,
        quiet: float,
        timeout: float,
        alive: Callable[[], bool] = lambda: True,
    ) -> float | None:
        """Epoch time of the last request after which neither API saw one for ``quiet`` s.

        Waits for the operator's first Kubernetes request after ``start`` (so that
        start-up is never taken for quiet) and gives up at ``start + timeout``.
        """
        deadline = start + timeout
        while time.time() < deadline and alive():
            now = time.time()
            last_kube = self.probe.last_operator_request
            if last_kube < start:
                time.sleep(0.2)
                continue
            if now - last_kube < quiet:
                time.sleep(max(0.05, quiet - (now - last_kube)))
                continue
            entries = self.sim.requests()
            last_cloud = max((float(e["time"]) for e in entries), default=0.0)
            last = max(last_kube, last_cloud, start)
            if now - last >= quiet:
                return last
            time.sleep(max(0.05, quiet - (now - last)))
        return None


# --------------------------------------------------------------------------- measuring


def by_verb(requests: Sequence[KubeRequest]) -> dict[str, int]:
    counts = collections.Counter(f"{r.verb} {r.resource}" for r in requests)
    return dict(sorted(counts.items()))


def by_action(entries: Sequence[dict[str, Any]]) -> dict[str, int]:
    counts = collections.Counter(str(e.get("action") or e.get("path")) for e in entries)
    return dict(sorted(counts.items()))


def timeline(
    start: float, end: float, requests: Sequence[KubeRequest], entries: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """Requests per bucket (about 200 buckets) from ``start`` to ``end``, by kind."""
    bucket = max(0.25, math.ceil((end - start) / 200 * 4) / 4)
    size = int((end - start) / bucket) + 1

    def count(stamps: Sequence[tuple[float, str]]) -> dict[str, list[int]]:
        series: dict[str, list[int]] = {}
        for stamp, key in stamps:
            index = min(size - 1, max(0, int((stamp - start) / bucket)))
            series.setdefault(key, [0] * size)[index] += 1
        return dict(sorted(series.items()))

    return {
        "bucket_s": bucket,
        "kube": count([(r.time, f"{r.verb} {r.resource}") for r in requests]),
        "cloud": count([(float(e["time"]), str(e.get("action"))) for e in entries]),
    }


def throttled(entries: Sequence[dict[str, Any]]) -> int:
    return sum(1 for e in entries if e.get("status") == 429)


def nearest_rank(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def log(message: str) -> None:
    stamp = datetime.datetime.now().strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", file=sys.stderr, flush=True)


@dataclass
class Idle:
    rss_mb: float
    cpu_s: float
    quiet_s: float | None


def measure_idle(world: World, process: OperatorProcess, cfg: Config) -> Idle:
    process.start()
    try:
        quiet_at = world.wait_quiet(process.started, cfg.quiet, cfg.quiet_timeout, process.alive)
        if quiet_at is None:
            log(f"{process.label} idle: not quiet within {cfg.quiet_timeout:.0f} s")
        sample = process.sample()
        return Idle(
            sample.rss_mb,
            sample.cpu_s,
            None if quiet_at is None else quiet_at - process.started,
        )
    finally:
        process.stop()


@dataclass
class Convergence:
    count: int
    create_s: float
    converged: int
    all_active_s: float | None
    first_active_s: float | None
    p50_active_s: float | None
    cpu_all_active_s: float | None
    #: CPU of the simulator process and of the test API's thread, start → all ACTIVE
    sim_cpu_all_active_s: float
    api_cpu_all_active_s: float
    quiet_s: float | None
    cpu_quiet_s: float
    cpu_per_rule_ms: float
    rss_all_active_mb: float | None
    rss_settled_mb: float
    log_lines: int
    kube: dict[str, int]
    cloud: dict[str, int]
    cloud_throttled: int
    curve: list[tuple[float, float]]
    #: requests per time bucket, start → quiet: {"bucket_s", "kube": {key: [n, ...]}, "cloud": ...}
    timeline: dict[str, Any]


def converge(
    world: World,
    process: OperatorProcess,
    namespace: str,
    count: int,
    cfg: Config,
    idle_cpu_s: float,
    *,
    measure_quiet: bool = True,
) -> Convergence:
    """Pre-create ``count`` rules, start the operator, wait for ACTIVE, quiet and RSS."""
    names = [f"r{i:05d}" for i in range(count)]
    created = world.create_rules(namespace, names, world.slots(count))
    log(f"{process.label}: {count} rules created in {created:.1f} s; starting the operator")
    world.sim.clear()  # no operator runs: nothing is lost
    sim_cpu, api_cpu = world.sim.cpu_s(), world.api_cpu_s()
    process.start()
    start = process.started
    ok = world.probe.wait_active(namespace, set(names), start + cfg.converge_timeout, process.alive)
    cpu_active: float | None = None
    rss_active: float | None = None
    with contextlib.suppress(OSError):
        sample = process.sample()
        cpu_active, rss_active = sample.cpu_s, sample.rss_mb
    sim_cpu, api_cpu = world.sim.cpu_s() - sim_cpu, world.api_cpu_s() - api_cpu
    times = sorted(world.probe.active_in(namespace).values())
    all_active = times[-1] - start if ok and times else None
    log(
        f"{process.label}: {len(times)}/{count} ACTIVE"
        + (f" after {all_active:.1f} s" if all_active is not None else " (timed out)")
    )
    quiet_at = (
        world.wait_quiet(start, cfg.quiet, cfg.quiet_timeout, process.alive)
        if measure_quiet
        else None
    )
    end = quiet_at if quiet_at is not None else time.time()
    cpu_quiet = process.sample().cpu_s
    if measure_quiet:
        log(
            f"{process.label}: quiet after {end - start:.1f} s"
            if quiet_at is not None
            else f"{process.label}: not quiet within {cfg.quiet_timeout:.0f} s"
        )
    time.sleep(cfg.settle)
    settled = process.sample().rss_mb
    entries = world.cloud_calls(start, end)
    requests = world.probe.operator_requests(start, end)
    curve = [(0.0, 0.0)] + [(t - start, float(i + 1)) for i, t in enumerate(times)]
    return Convergence(
        count=count,
        create_s=round(created, 2),
        converged=len(times),
        all_active_s=all_active,
        first_active_s=times[0] - start if times else None,
        p50_active_s=statistics.median(times) - start if times else None,
        cpu_all_active_s=cpu_active,
        sim_cpu_all_active_s=sim_cpu,
        api_cpu_all_active_s=api_cpu,
        quiet_s=None if quiet_at is None else quiet_at - start,
        cpu_quiet_s=cpu_quiet,
        cpu_per_rule_ms=max(0.0, cpu_quiet - idle_cpu_s) / count * 1000,
        rss_all_active_mb=rss_active,
        rss_settled_mb=settled,
        log_lines=process.log_lines(),
        kube=by_verb(requests),
        cloud=by_action(entries),
        cloud_throttled=throttled(entries),
        curve=downsample(curve, 600),
        timeline=timeline(start, end, requests, entries),
    )


@dataclass
class Window:
    seconds: float
    drift_interval: float
    rss_start_mb: float
    rss_end_mb: float
    rss_max_mb: float
    growth_mb: float
    growth_pct: float
    passes: int
    list_calls_per_pass: float
    pass_span_s: float
    cloud: dict[str, int]
    cloud_writes: int
    kube: dict[str, int]
    kube_writes: int
    kube_reads: int


def drift_window(world: World, process: OperatorProcess, seconds: float, drift: float) -> Window:
    """RSS and requests over ``seconds`` of steady state (drift passes for ours)."""
    start = time.time()
    rss_start = process.sample().rss_mb
    time.sleep(seconds)
    end = time.time()
    rss_end = process.sample().rss_mb
    rss_max = max((s.rss_mb for s in process.samples if start <= s.time <= end), default=rss_end)
    entries = world.cloud_calls(start, end)
    lists = sorted(
        float(e["time"]) for e in entries if e.get("action") == "ListNatGatewayDnatRules"
    )
    passes: list[list[float]] = []
    for t in lists:  # a pass: list calls closer together than half the interval
        if passes and t - passes[-1][-1] < max(1.0, drift / 2):
            passes[-1].append(t)
        else:
            passes.append([t])
    requests = world.probe.operator_requests(start, end)
    return Window(
        seconds=seconds,
        drift_interval=drift,
        rss_start_mb=rss_start,
        rss_end_mb=rss_end,
        rss_max_mb=rss_max,
        growth_mb=rss_end - rss_start,
        growth_pct=(rss_end - rss_start) / rss_start * 100,
        passes=len(passes),
        list_calls_per_pass=len(lists) / len(passes) if passes else 0.0,
        pass_span_s=max((p[-1] - p[0] for p in passes), default=0.0),
        cloud=by_action(entries),
        cloud_writes=sum(1 for e in entries if e.get("action") in CLOUD_WRITES),
        kube=by_verb(requests),
        kube_writes=sum(1 for r in requests if r.verb in KUBE_WRITES),
        kube_reads=sum(1 for r in requests if r.verb in ("get", "list")),
    )


@dataclass
class Restart:
    quiet_s: float | None
    kube_requests: int
    kube: dict[str, int]
    cloud: dict[str, int]
    cloud_writes: int
    cloud_reads: int


def restart(world: World, process: OperatorProcess, cfg: Config) -> Restart:
    process.stop()
    world.sim.clear()
    process.start()
    start = process.started
    quiet_at = world.wait_quiet(start, cfg.quiet, cfg.quiet_timeout, process.alive)
    end = quiet_at if quiet_at is not None else time.time()
    log(
        f"{process.label} restart: quiet after {end - start:.1f} s"
        + ("" if quiet_at is not None else " (timed out)")
    )
    requests = world.probe.operator_requests(start, end)
    entries = world.cloud_calls(start, end)
    writes = sum(1 for e in entries if e.get("action") in CLOUD_WRITES)
    return Restart(
        quiet_s=None if quiet_at is None else quiet_at - start,
        kube_requests=len(requests),
        kube=by_verb(requests),
        cloud=by_action(entries),
        cloud_writes=writes,
        cloud_reads=len(entries) - writes,
    )


@dataclass
class Latency:
    samples_ms: list[float]
    p50_ms: float
    p95_ms: float
    kube_per_rule: dict[str, float]
    cloud_per_rule: dict[str, float]


def latency(world: World, namespace: str, count: int, timeout: float = 60.0) -> Latency:
    """Apply → ACTIVE of single new rules, one after the other."""
    samples: list[float] = []
    start = time.time()
    for index, slot in enumerate(world.slots(count)):
        name = f"new-{index:03d}"
        sent = time.time()
        world.create_one(namespace, name, slot)
        if not world.probe.wait_active(namespace, {name}, sent + timeout):
            log(f"latency: {name} not ACTIVE within {timeout:.0f} s")
            continue
        samples.append((world.probe.active_in(namespace)[name] - sent) * 1000)
        time.sleep(0.2)
    time.sleep(1.0)
    end = time.time()
    requests = world.probe.operator_requests(start, end)
    entries = world.cloud_calls(start, end)
    return Latency(
        samples_ms=[round(s, 1) for s in samples],
        p50_ms=statistics.median(samples) if samples else float("nan"),
        p95_ms=nearest_rank(samples, 0.95) if samples else float("nan"),
        kube_per_rule={k: v / count for k, v in by_verb(requests).items()},
        cloud_per_rule={k: v / count for k, v in by_action(entries).items()},
    )


@dataclass
class Rated:
    count: int
    limit: float
    cloud_rate: float
    ideal_s: float
    all_active_s: float | None
    #: from the first cloud call to the last ACTIVE (the operator's start-up excluded)
    from_first_call_s: float | None
    converged: int
    calls: int
    throttled: int
    cloud: dict[str, int]


def rated(
    world: World, tag: str, count: int, limit: float, cloud_rate: float, cfg: Config
) -> Rated:
    namespace = f"rated-{tag}"
    world.namespace(namespace, provider=True)
    names = [f"r{i:05d}" for i in range(count)]
    world.create_rules(namespace, names, world.slots(count))
    world.sim.settings(throttle_rate=limit, throttle_burst=max(1, int(limit)))
    world.sim.clear()
    process = world.ours(namespace, f"rated-{tag}", cloud_rate=cloud_rate, drift=cfg.drift_interval)
    process.start()
    try:
        start = process.started
        ok = world.probe.wait_active(
            namespace, set(names), start + cfg.converge_timeout, process.alive
        )
        times = sorted(world.probe.active_in(namespace).values())
        entries = world.cloud_calls(start, time.time())
    finally:
        process.stop()
        world.sim.settings(throttle_rate=0)
    result = Rated(
        count=count,
        limit=limit,
        cloud_rate=cloud_rate,
        ideal_s=count / limit,
        all_active_s=times[-1] - start if ok and times else None,
        from_first_call_s=times[-1] - float(entries[0]["time"])
        if ok and times and entries
        else None,
        converged=len(times),
        calls=len(entries),
        throttled=throttled(entries),
        cloud=by_action(entries),
    )
    log(
        f"rated {tag}: limit {limit:g}/s, --cloud-rate {cloud_rate:g}: "
        f"{result.converged}/{count} ACTIVE after {secs(result.all_active_s)}, "
        f"{result.throttled} throttled of {result.calls}"
    )
    return result


@dataclass
class Side:
    """Everything measured for one operator."""

    label: str
    idle: Idle | None = None
    convergence: Convergence | None = None
    window: Window | None = None
    restart: Restart | None = None
    latency: Latency | None = None
    rss_series: list[tuple[float, float]] = field(default_factory=list)


def machine() -> dict[str, Any]:
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    versions = {
        name: importlib.metadata.version(name)
        for name in ("kopf", "kmock", "pydantic", "httpx", "aiohttp", "kubernetes")
    }
    kubectl = subprocess.run(
        ["kubectl", "version", "--client", "-o", "json"], capture_output=True, text=True
    )
    with contextlib.suppress(ValueError):
        versions["kubectl"] = json.loads(kubectl.stdout)["clientVersion"]["gitVersion"]
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True
    ).stdout.strip()
    status = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--", "operator", "crds"],
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": model,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "commit": commit,
        #: uncommitted changes of the operator measured (the working tree was in use)
        "uncommitted": [line[3:] for line in status],
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }


def measure_side(world: World, side: Side, cfg: Config) -> None:
    """Convergence, steady state, restart and latency of one operator, in its namespace."""
    namespace = side.label
    if side.label == "floor":
        process = world.floor(namespace, "main")
    else:
        process = world.ours(namespace, "main", cloud_rate=cfg.cloud_rate, drift=cfg.drift_interval)
    assert side.idle is not None
    world.next_slot = 0
    try:
        side.convergence = converge(world, process, namespace, cfg.count, cfg, side.idle.cpu_s)
        if not cfg.convergence_only:
            seconds = cfg.window if side.label == "ours" else cfg.floor_window
            log(f"{side.label}: {seconds:.0f} s of steady state")
            side.window = drift_window(world, process, seconds, cfg.drift_interval)
        main = list(process.samples)
        side.rss_series = downsample([(s.time - process.started, s.rss_mb) for s in main], 600)
        if not cfg.convergence_only:
            side.restart = restart(world, process, cfg)
            log(f"{side.label}: apply -> ACTIVE of {cfg.latency_rules} single rules")
            side.latency = latency(world, namespace, cfg.latency_rules)
    finally:
        process.stop()


def run(cfg: Config) -> dict[str, Any]:
    info = machine()
    started = time.time()
    tmp = Path(tempfile.mkdtemp(prefix="cloudnet-scale-"))
    log(f"work dir {tmp}")
    # The floor's rules have the same specs as ours (slots 0...); they never reach the cloud.
    total_slots = cfg.count + cfg.latency_rules + 2 * cfg.rate_count
    gateways = math.ceil(total_slots / RULES_PER_GATEWAY) + 1
    log_size = max(100_000, 40 * max(cfg.count, cfg.rate_count))
    creds = write_inventory(tmp / "inventory.yaml", gateways, log_size)
    sim = Simulator(tmp, tmp / "inventory.yaml").start()
    api = ProbedKubeAPI()
    kube = serve(api=api)
    floor, ours = Side("floor"), Side("ours")
    rates: list[Rated] = []
    try:
        world = World(tmp, sim, kube, creds)
        world.kubectl("apply", "-f", str(ROOT / "crds"))
        world.namespace("idle", provider=False)
        world.namespace("floor", provider=False)
        world.namespace("ours", provider=True)
        log("idle RSS")
        floor.idle = measure_idle(world, world.floor("idle", "idle"), cfg)
        ours.idle = measure_idle(
            world,
            world.ours("idle", "idle", cloud_rate=cfg.cloud_rate, drift=cfg.drift_interval),
            cfg,
        )
        for side in (floor, ours):
            measure_side(world, side, cfg)

        if not cfg.convergence_only and cfg.rate_count:
            world.next_slot = cfg.count + cfg.latency_rules
            rates.append(rated(world, "at-limit", cfg.rate_count, cfg.rate, cfg.rate, cfg))
            if cfg.over_rate > 0:
                rates.append(
                    rated(world, "over-limit", cfg.rate_count, cfg.rate, cfg.over_rate, cfg)
                )
    finally:
        kube.stop()
        sim.stop()
    info["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    return {
        "format": 1,
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "duration_s": round(time.time() - started, 1),
        "work_dir": str(tmp),
        "machine": info,
        "config": asdict(cfg),
        "gateways": gateways,
        "floor": asdict(floor),
        "ours": asdict(ours),
        "rated": [asdict(r) for r in rates],
    }


# --------------------------------------------------------------------------- command line


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", "-n", type=int, default=1000, help="N rules (default 1000)")
    parser.add_argument("--quiet", type=float, default=5.0, help="seconds without requests")
    parser.add_argument("--settle", type=float, default=10.0, help="seconds after quiet for RSS")
    parser.add_argument("--window", type=float, default=600.0, help="steady state of ours (s)")
    parser.add_argument("--floor-window", type=float, default=60.0, help="same, floor (s)")
    parser.add_argument("--drift-interval", type=float, default=20.0, help="ours, seconds")
    parser.add_argument(
        "--cloud-rate", type=float, default=100000.0, help="ours unthrottled: --cloud-rate"
    )
    parser.add_argument("--rate", type=float, default=50.0, help="R: the cloud's limit, calls/s")
    parser.add_argument(
        "--rate-count", type=int, help="rules of the rate-limited runs (default min(N, 1000))"
    )
    parser.add_argument(
        "--over-rate",
        type=float,
        help="--cloud-rate of the run above the cloud's limit (default 4 R; 0: no such run)",
    )
    parser.add_argument("--latency-rules", type=int, default=20)
    parser.add_argument("--converge-timeout", type=float, default=900.0)
    parser.add_argument("--quiet-timeout", type=float, default=900.0)
    parser.add_argument(
        "--convergence-only",
        action="store_true",
        help="idle RSS and convergence (ACTIVE, quiet, CPU, RSS) only",
    )
    parser.add_argument(
        "--small",
        action="store_true",
        help="CI size: N=50, short windows, 5 latency rules, rate runs of 50 at 50/s (< 60 s)",
    )
    parser.add_argument(
        "--output",
        "-o",
        type=Path,
        help="the report (default: docs/performance.md; with --small, a file in the temp dir)",
    )
    parser.add_argument("--json", type=Path, help="figures as JSON (default: OUTPUT.json)")
    parser.add_argument(
        "--report",
        type=Path,
        nargs="+",
        metavar="JSON",
        help="measure nothing: render these runs' JSON into OUTPUT",
    )
    parser.add_argument("--notes", type=Path, help="Markdown appended to the report")
    return parser.parse_args(argv)


def config(args: argparse.Namespace) -> Config:
    if args.small:
        return Config(
            count=50,
            quiet=1.5,
            settle=0.5,
            window=4.0,
            floor_window=1.0,
            drift_interval=2.0,
            cloud_rate=args.cloud_rate,
            rate=50.0,
            rate_count=50,
            over_rate=200.0,
            latency_rules=5,
            converge_timeout=30.0,
            quiet_timeout=20.0,
            convergence_only=False,
            small=True,
        )
    return Config(
        count=args.count,
        quiet=args.quiet,
        settle=args.settle,
        window=args.window,
        floor_window=args.floor_window,
        drift_interval=args.drift_interval,
        cloud_rate=args.cloud_rate,
        rate=args.rate,
        rate_count=min(args.count, 1000) if args.rate_count is None else args.rate_count,
        over_rate=4 * args.rate if args.over_rate is None else args.over_rate,
        latency_rules=args.latency_rules,
        converge_timeout=args.converge_timeout,
        quiet_timeout=args.quiet_timeout,
        convergence_only=args.convergence_only,
        small=False,
    )


def main(argv: Sequence[str] | None = None) -> int:
    from bench.scale_report import render, rerun_command

    args = parse(argv)
    output: Path = args.output or (
        Path(tempfile.gettempdir()) / "cloudnet-scale-small.md"
        if args.small
        else ROOT / "docs" / "performance.md"
    )
    notes = args.notes.read_text() if args.notes else ""
    words = list(sys.argv[1:] if argv is None else argv)
    this = " ".join([".venv/bin/python", "bench/scale.py", *words])
    if args.report:
        results = [json.loads(path.read_text()) for path in args.report]
        commands = [rerun_command(r, str(p)) for r, p in zip(results, args.report, strict=True)]
        commands.append(this)
    else:
        result = run(config(args))
        target = args.json or output.with_suffix(".json")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(result, indent=1) + "\n")
        log(f"figures: {target}")
        results, commands = [result], [this]
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(results, output, notes=notes, commands=commands))
    log(f"report: {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
