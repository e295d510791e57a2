"""Real parts for the operator integration tests.

A test gets: the cloud simulator as a real ``cloudnet sim`` process on a
loopback port (admin on), the test Kubernetes API (``cloudnet_devkit.kubeapi``) in a
background thread, the CRDs applied with real kubectl, and the operator as a
real ``cloudnet run`` process that can be SIGKILLed and started again.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import yaml

from cloudnet_devkit.kubectl import Kubectl
from tests.wait_kit import wait_until

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "2993a37f1765d55d2a6526b764ae47e5"
AK = "HWSIMAK7Q2M4X9C1LP0E"
SK = "sImSk0Z8vQ3nB6yT1rW4eU7iO9pA2sD5fG8hJ1kL"
GATEWAY = "23a937a4-f3dc-41ed-bf54-6a9844aa46e5"
EIPS = [
    "a974bed9-1264-4c34-b01a-f8a2c325f4ca",
    "3b0b32a7-3f50-48d5-96df-b588ba519173",
    "dcb22863-5c40-4389-829f-3a5215cf8aa3",
]
PORT_WEB1 = "12cf9091-5178-4185-8be3-2c13f3f41ac8"
PORT_WEB2 = "d1696474-e595-4ddd-b38a-06977d379f8d"
ALI_AK = "LTAI5tSimQ7m2X9c1Lp0EaKw"
ALI_SK = "sImAliSk0Z8vQ3nB6yT1rW4eU7iO9pA2"
ENS_GATEWAY = "nat-5t7nh1cfm6kxiszlttr38a1b2"
ENS_EIPS = ["100.64.10.11", "100.64.10.12"]
ENS_WEB1 = "10.0.1.11"
SAG_ID = "sag-0nnvdb0r1mtjv5a7k2"
SAG_REGION = "cn-shanghai"
ENI_DEMO = "eni-bp14f7k2m9xq3w8y5avl"
ENI_SPARE = "eni-bp19c2e4g6i8k0m2o4free"
ENI_PRIMARY = "eni-bp1a3x8mkl5qhc9yprim"
ENI_WEB_DATA = "eni-bp16d3h8j2k5n7q9rweb"  # InUse on a Running instance
SG_WEB = "sg-bp1fg655nh68xyz9i4nc"
SG_DB = "sg-bp1dbq7m3k9x2w5v8t1a"


#: Ports handed out below the kernel's ephemeral range (32768 and up on Linux), a slice
#: per pytest-xdist worker: a port the kernel picked for us (bind to 0) is free only until
#: another worker's process, or any outgoing connection, is given the same one before our
#: child binds it. Below the range no connection takes it, and no other worker does.
_PORT_BASE, _PORT_SLICE = 20000, 3000
_handed_out: set[int] = set()


def free_port() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    start = _PORT_BASE + (int(worker) % 4 if worker.isdigit() else 0) * _PORT_SLICE
    offset = (os.getpid() * 7919) % _PORT_SLICE
    for step in range(_PORT_SLICE):
        port = start + (offset + step) % _PORT_SLICE
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port in {start}-{start + _PORT_SLICE - 1}")


#: the shared condition wait (tests/wait_kit.py), under the name the integration tests use
wait_for = wait_until


class Process:
    """A ``python -m cloudnet ...`` child with its output in a log file."""

    def __init__(self, argv: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.argv = argv
        self.log = log
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        out = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cloudnet", *self.argv],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=self.env,
        )
        out.close()
        return self

    def kill(self) -> None:
        """SIGKILL: no clean-up runs, as when a node dies."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class Simulator:
    """The ``cloudnet sim`` process and its admin API."""

    def __init__(self, tmp: Path, **settings: Any) -> None:
        inventory = yaml.safe_load((ROOT / "examples" / "sim-inventory.yaml").read_text())
        inventory["settings"].update(settings)
        path = tmp / "inventory.yaml"
        path.write_text(yaml.safe_dump(inventory))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = Process(
            ["sim", "--port", str(self.port), "--admin", "--inventory", str(path)],
            tmp / "sim.log",
        )
        self.admin = httpx.Client(base_url=self.url, timeout=10)

    def start(self) -> Simulator:
        self.process.start()
        wait_for(self._up, timeout=20, what="the simulator to listen")
        return self

    def _up(self) -> bool:
        try:
            return self.admin.get("/_sim/settings").status_code == 200
        except httpx.TransportError:
            return False

    def requests(self, action: str | None = None) -> list[dict[str, Any]]:
        params = {"action": action} if action else {}
        entries: list[dict[str, Any]] = self.admin.get("/_sim/requests", params=params).json()[
            "requests"
        ]
        return entries

    def rules(self) -> list[dict[str, Any]]:
        state = self.admin.get("/_sim/state").json()
        found: list[dict[str, Any]] = []
        for project in state["inventory"]["huawei"]["projects"]:
            found += project.get("dnat_rules") or []
        return found

    def ens_entries(self) -> list[dict[str, Any]]:
        state = self.admin.get("/_sim/state").json()
        return list(state["inventory"]["alibaba"]["ens"].get("forward_entries") or [])

    def sag_entries(self) -> list[dict[str, Any]]:
        state = self.admin.get("/_sim/state").json()
        return list(state["inventory"]["alibaba"]["sag"].get("dnat_entries") or [])

    def eni(self, eni_id: str) -> dict[str, Any]:
        state = self.admin.get("/_sim/state").json()
        enis = state["inventory"]["alibaba"]["ecs"]["network_interfaces"]
        return dict(next(e for e in enis if e["id"] == eni_id))

    def fault(self, **rule: Any) -> dict[str, Any]:
        response = self.admin.post("/_sim/faults", json=rule)
        response.raise_for_status()
        return dict(response.json()["faults"][0])

    def reset(self) -> Simulator:
        """Back to the world the process started with (objects, settings, no faults, an
        empty request log): a module's tests share one process and each starts fresh."""
        self.admin.post("/_sim/reset").raise_for_status()
        return self

    def stop(self) -> None:
        self.admin.close()
        self.process.stop()


class Cluster:
    """kubectl + the operator process, against one test Kubernetes API."""

    def __init__(self, kubectl: Kubectl, tmp: Path, sim: Simulator) -> None:
        self.kubectl = kubectl
        self.tmp = tmp
        self.sim = sim
        env = {**os.environ, "KUBECONFIG": kubectl.kubeconfig}
        self.operator = Process(
            ["run", "--verbose", "--drift-interval", "1", *self.allow_sim()],
            tmp / "operator.log",
            env=env,
        )

    def allow_sim(self) -> list[str]:
        """The simulator is http on loopback: allowed exactly, as `cloudnet run` requires."""
        return ["--allow-endpoint", self.sim.url]

    def install(self) -> None:
        self.kubectl("apply", "-f", str(ROOT / "crds"))
        self.kubectl.apply(self.base_manifests())

    def base_manifests(self, namespace: str = "demo") -> list[dict[str, Any]]:
        return [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "huawei-credentials", "namespace": namespace},
                "stringData": {"accessKeyId": AK, "accessKeySecret": SK},
            },
            {
                "apiVersion": "cloudnet.dev/v1alpha1",
                "kind": "ProviderConfig",
                "metadata": {"name": "huawei", "namespace": namespace},
                "spec": {
                    "provider": "huawei-nat",
                    "region": "cn-north-4",
                    "projectId": PROJECT,
                    "endpoint": self.sim.url,
                    "credentialsSecretRef": {"name": "huawei-credentials"},
                },
            },
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "alibaba-credentials", "namespace": namespace},
                "stringData": {"accessKeyId": ALI_AK, "accessKeySecret": ALI_SK},
            },
            {
                "apiVersion": "cloudnet.dev/v1alpha1",
                "kind": "ProviderConfig",
                "metadata": {"name": "ens", "namespace": namespace},
                "spec": {
                    "provider": "alibaba-ens",
                    "region": "cn-hangzhou",
                    "endpoint": self.sim.url,
                    "credentialsSecretRef": {"name": "alibaba-credentials"},
                },
            },
            {
                "apiVersion": "cloudnet.dev/v1alpha1",
                "kind": "ProviderConfig",
                "metadata": {"name": "ecs", "namespace": namespace},
                "spec": {
                    "provider": "alibaba-ecs",
                    "region": "cn-hangzhou",
                    "endpoint": self.sim.url,
                    "credentialsSecretRef": {"name": "alibaba-credentials"},
                },
            },
            {
                "apiVersion": "cloudnet.dev/v1alpha1",
                "kind": "ProviderConfig",
                "metadata": {"name": "sag", "namespace": namespace},
                "spec": {
                    "provider": "alibaba-sag",
                    "region": SAG_REGION,
                    "endpoint": self.sim.url,
                    "credentialsSecretRef": {"name": "alibaba-credentials"},
                },
            },
        ]

    def get(self, name: str, namespace: str = "demo", kind: str = "dnatrule") -> dict[str, Any]:
        result = self.kubectl("get", kind, name, "-n", namespace, "-o", "json", check=False)
        if result.returncode != 0:
            return {}
        return dict(json.loads(result.stdout))

    def status(self, name: str, namespace: str = "demo", kind: str = "dnatrule") -> dict[str, Any]:
        return dict(self.get(name, namespace, kind).get("status") or {})

    def wait_phase(
        self, name: str, phase: str, timeout: float = 30.0, kind: str = "dnatrule"
    ) -> dict[str, Any]:
        return dict(
            wait_for(
                lambda: (s := self.status(name, kind=kind)).get("phase") == phase and s,
                timeout=timeout,
                what=f"{name} to reach {phase} (operator log: {self.operator.log})",
            )
        )

    def config_ready(self, name: str, namespace: str = "demo") -> dict[str, Any]:
        """The Ready condition of a ProviderConfig ({} while it has none)."""
        status = self.status(name, namespace, kind="providerconfig")
        conditions = status.get("conditions") or []
        return dict(next((c for c in conditions if c.get("type") == "Ready"), {}))

    def settle_credentials_checks(self) -> None:
        """Wait for the base ProviderConfigs' one read each, then clear the request log.

        For tests that count every cloud call a resource makes: the operator
        checks each ProviderConfig's credentials when it first sees it.
        """
        for name in ("huawei", "ens", "ecs", "sag"):
            wait_for(
                lambda name=name: self.config_ready(name).get("status") == "True",
                what=f"ProviderConfig {name} to be Ready (operator log: {self.operator.log})",
            )
        self.sim.admin.delete("/_sim/requests").raise_for_status()

    def events(self, name: str, namespace: str = "demo") -> list[dict[str, Any]]:
        items = self.kubectl.json("get", "events", "-n", namespace)["items"]
        return [e for e in items if e.get("involvedObject", {}).get("name") == name]


def dnat_rule(
    name: str,
    *,
    namespace: str = "demo",
    external_port: int = 8080,
    internal_port: int | None = None,
    gateway: str = GATEWAY,
    eip: str = EIPS[0],
    provider_config: str = "huawei",
    **extra: Any,
) -> dict[str, Any]:
    """A Huawei DnatRule on PORT_WEB1. Without ``internal_port``, one derived from the
    name: the cloud lets one backend port carry one rule, so two resources of a test
    never share it by accident."""
    if internal_port is None:
        internal_port = 10000 + zlib.crc32(f"{namespace}/{name}".encode()) % 50000
    block: dict[str, Any] = {
        "natGatewayId": gateway,
        "floatingIpId": eip,
        "portId": PORT_WEB1,
        "protocol": "tcp",
        "internalServicePort": internal_port,
        "externalServicePort": external_port,
        **extra,
    }
    return {
        "apiVersion": "cloudnet.dev/v1alpha1",
        "kind": "DnatRule",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"providerConfigRef": {"name": provider_config}, "huaweiNat": block},
    }


def ens_rule(
    name: str,
    *,
    namespace: str = "demo",
    external_port: int | str = 2222,
    internal_port: int | str = 22,
    external_ip: str = ENS_EIPS[0],
    gateway: str = ENS_GATEWAY,
    **extra: Any,
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "natGatewayId": gateway,
        "externalIp": external_ip,
        "externalPort": external_port,
        "internalIp": ENS_WEB1,
        "internalPort": internal_port,
        **extra,
    }
    return {
        "apiVersion": "cloudnet.dev/v1alpha1",
        "kind": "DnatRule",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"providerConfigRef": {"name": "ens"}, "alibabaEns": block},
    }


def sag_rule(
    name: str,
    *,
    namespace: str = "demo",
    external_port: int | str = 8080,
    internal_port: int | str = 80,
    internal_ip: str = "192.168.10.5",
    external_ip: str = "10.10.1.1",
    **extra: Any,
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "regionId": SAG_REGION,
        "sagId": SAG_ID,
        "externalIp": external_ip,
        "externalPort": external_port,
        "internalIp": internal_ip,
        "internalPort": internal_port,
        "ipProtocol": "TCP",
        **extra,
    }
    return {
        "apiVersion": "cloudnet.dev/v1alpha1",
        "kind": "DnatRule",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"providerConfigRef": {"name": "sag"}, "alibabaSag": block},
    }


def nic(name: str, eni: str, *, namespace: str = "demo", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "cloudnet.dev/v1alpha1",
        "kind": "NetworkInterfaceConfig",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "providerConfigRef": {"name": "ecs"},
            "regionId": "cn-hangzhou",
            "networkInterfaceId": eni,
            **spec,
        },
    }


@contextlib.contextmanager
def running(process: Process) -> Iterator[Process]:
    process.start()
    try:
        yield process
    finally:
        process.stop()
