"""Helpers for the simulator conformance tests (fixtures are in conftest.py).

Requests are signed with the project's own signer (``cloudnet.clouds.signing``)
through an httpx Auth, and go through ``httpx.ASGITransport`` (no sockets),
except where a test needs a real server (official SDK, CLI restart).
The clock is fake, so lifecycle delays and throttling are exact and instant.
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import uvicorn
from starlette.applications import Starlette

from cloudnet.clouds.signing import HUAWEI_DATE_FORMAT, huawei_authorization
from cloudnet.sim.server import Simulator
from tests.wait_kit import wait_until

# The default inventory's ids (examples/sim-inventory.yaml documents them).
PROJECT = "2993a37f1765d55d2a6526b764ae47e5"
OTHER_PROJECT = "26ce0fce27e8211cf510fdefebfc510f"
AK = "HWSIMAK7Q2M4X9C1LP0E"
SK = "sImSk0Z8vQ3nB6yT1rW4eU7iO9pA2sD5fG8hJ1kL"
OTHER_AK = "HWSIMAK3B8N6V1Z5KT2R"
OTHER_SK = "sImSk9Y7xW5vU3tS1rQ8pO6nM4lK2jH0gF9eD7cB"
ACCOUNT_AK = "HWSIMAK5D2F8G4H6J1K3M"  # an IAM user's key, no project limit
ACCOUNT_SK = "sImSk4R6tY8uI0oP2aS4dF6gH8jK0lZ2xC4vB6nM"
TOKEN = "MIIsimTOKEN-cloudnet-2993a37f1765d55d2a6526b764ae47e5-do-not-use-in-production"
GW = "23a937a4-f3dc-41ed-bf54-6a9844aa46e5"  # ACTIVE
GW_FROZEN = "b583f13c-1b55-45c7-911e-a07c2f8e5920"  # admin_state_up false
GW_PENDING = "db6c52f1-3f8e-4b09-92d0-44ff5d9a7116"  # PENDING_CREATE
GW_OTHER = "32e0e8a2-6d20-45f6-82cd-763d23e64b98"  # ACTIVE, another VPC
GW_PROJECT_TWO = "4f2a6c8e-1b3d-4e5f-a7c9-0b2d4f6a8c1e"
EIP1 = "a974bed9-1264-4c34-b01a-f8a2c325f4ca"
EIP1_ADDRESS = "100.85.216.11"
EIP2 = "3b0b32a7-3f50-48d5-96df-b588ba519173"
EIP3 = "dcb22863-5c40-4389-829f-3a5215cf8aa3"
EIP_SNAT = "41f99e09-7a98-49fc-b436-fa14bc83cc90"  # SNAT of GW
EIP_BOUND = "7b31d523-d532-487c-a5f9-3b333d4a8062"  # bound to an ECS port
GLOBAL_EIP = "ec5ca48d-7994-477f-95ea-b170dcc80f50"
GLOBAL_EIP_ADDRESS = "100.93.40.21"
PORT1 = "12cf9091-5178-4185-8be3-2c13f3f41ac8"
PORT2 = "d1696474-e595-4ddd-b38a-06977d379f8d"
PORT_ELSEWHERE = "6a1e8f3c-2d4b-4c7a-9e5f-1b3d5f7a9c2e"

RULES = f"/v2/{PROJECT}/dnat_rules"
INVENTORY = Path(__file__).resolve().parents[2] / "examples" / "sim-inventory.yaml"


class FakeClock:
    """Epoch seconds that move only when told to."""

    def __init__(self, start: float | None = None) -> None:
        self.now = start if start is not None else float(int(time.time()))

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class HuaweiSigner(httpx.Auth):
    """SDK-HMAC-SHA256 signing of an httpx request with the project's signer."""

    def __init__(
        self, ak: str, sk: str, *, clock: Callable[[], float] = time.time, date: str | None = None
    ) -> None:
        self.ak, self.sk, self.clock, self.date = ak, sk, clock, date

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        date = self.date or dt.datetime.fromtimestamp(self.clock(), dt.UTC).strftime(
            HUAWEI_DATE_FORMAT
        )
        request.headers["X-Sdk-Date"] = date
        request.headers["Authorization"] = huawei_authorization(
            method=request.method,
            path=request.url.raw_path.split(b"?")[0].decode(),
            query=parse_qsl(request.url.query.decode(), keep_blank_values=True),
            headers=dict(request.headers),
            body=request.content,
            access_key=self.ak,
            secret_key=self.sk,
        )
        yield request


class TokenAuth(httpx.Auth):
    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["X-Auth-Token"] = self.token
        yield request


def sim(application: Starlette) -> Simulator:
    simulator: Simulator = application.state.simulator
    return simulator


ClientFactory = Callable[..., httpx.AsyncClient]


def rule_body(**overrides: Any) -> dict[str, Any]:
    """A valid create body on GW/EIP1/PORT1, tcp 8080 -> 80; ``None`` removes a field."""
    option: dict[str, Any] = {
        "nat_gateway_id": GW,
        "floating_ip_id": EIP1,
        "port_id": PORT1,
        "protocol": "tcp",
        "internal_service_port": 80,
        "external_service_port": 8080,
    }
    option.update(overrides)
    return {"dnat_rule": {k: v for k, v in option.items() if v is not None}}


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error_code"] == code, body
    assert body["error_msg"]
    assert response.headers["X-Request-Id"]
    return body


async def create_active(hw: httpx.AsyncClient, clock: FakeClock, **overrides: Any) -> str:
    """Create a rule and let it become ACTIVE; its id."""
    response = await hw.post(RULES, json=rule_body(**overrides))
    assert response.status_code == 201, response.text
    clock.advance(5)
    rule_id: str = response.json()["dnat_rule"]["id"]
    return rule_id


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    """A real uvicorn server on a loopback port, in a thread."""

    def __init__(self, application: Starlette) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            application, log_level="warning", lifespan="off", timeout_graceful_shutdown=3
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]})

    def __enter__(self) -> LiveServer:
        self.thread.start()

        def started() -> bool:
            if not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            return bool(self.server.started)

        wait_until(started, timeout=10, interval=0.01, what="uvicorn to start")
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
