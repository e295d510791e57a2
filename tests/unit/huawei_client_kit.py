"""Parts of the Huawei client tests, shared with the security-token tests.

The test key, project and clock, a DNAT rule as the API returns it, the
:class:`Recorder` MockTransport handler (scripted answers), :func:`answer`
(a cloud-shaped response) and :func:`make_client` (a HuaweiNatClient on a
Recorder).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from cloudnet.clouds.huawei import HuaweiCredentials
from cloudnet.providers.huawei_nat.client import HuaweiNatClient

AK = "QTWAOYTTINDUT2QVKYUC"
SK = "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc"
PROJECT = "0123456789abcdef0123456789abcdef"
ENDPOINT = "http://127.0.0.1:18900"
NOW = datetime(2024, 6, 11, 8, 30, 15, tzinfo=UTC)
GW = "cda3a125-2406-456c-a11f-598e10578541"
RULE: dict[str, Any] = {
    "id": "5b95c675-69c2-4656-ba06-58ff72e1d338",
    "nat_gateway_id": GW,
    "floating_ip_id": "bf99c679-9f41-4dac-8513-9c9228e713e1",
    "port_id": "9a469561-daac-4c94-88f5-39366e5ea193",
    "internal_service_port": 993,
    "external_service_port": 242,
    "protocol": "tcp",
    "status": "ACTIVE",
}


Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that keeps every request and replays scripted answers."""

    def __init__(self, *answers: httpx.Response | Handler | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return answer(request)


def answer(
    status: int, body: Any = None, *, request_id: str = "req-1", **headers: str
) -> httpx.Response:
    content = (
        b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    )
    return httpx.Response(status, content=content, headers={"X-Request-Id": request_id, **headers})


def make_client(
    recorder: Recorder, credentials: HuaweiCredentials | None = None
) -> HuaweiNatClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    return HuaweiNatClient(
        http,
        endpoint=ENDPOINT + "/",
        project_id=PROJECT,
        credentials=credentials or HuaweiCredentials.from_aksk(AK, SK),
        clock=lambda: NOW,
    )
