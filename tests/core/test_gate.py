"""The cap on cloud requests in flight, over a real HTTP server."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cloudnet.clouds.gate import GatedClient
from tests.fixtures.simkit import LiveServer


class Counting:
    """A server that counts requests in flight and answers after a short wait."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0
        self.served = 0

    def app(self) -> Starlette:
        async def slow(request: Request) -> Response:
            with self.lock:
                self.now += 1
                self.most = max(self.most, self.now)
            await asyncio.sleep(0.02)  # sleep-ok: the work that keeps requests in flight together
            with self.lock:
                self.now -= 1
                self.served += 1
            if request.query_params.get("fail"):
                return JSONResponse({"error": "no"}, status_code=500)
            return JSONResponse({"big": "x" * 100_000})

        return Starlette(routes=[Route("/", slow)])


@pytest.fixture
def server() -> Iterator[tuple[Counting, str]]:
    counting = Counting()
    with LiveServer(counting.app()) as live:
        yield counting, live.url


async def test_no_more_than_the_limit_in_flight(server: tuple[Counting, str]) -> None:
    counting, url = server
    async with GatedClient(in_flight=3, timeout=30) as client:
        answers = await asyncio.gather(*(client.get(url) for _ in range(40)))
    assert [a.status_code for a in answers] == [200] * 40
    assert all(len(a.json()["big"]) == 100_000 for a in answers)  # bodies read in full
    assert counting.served == 40
    assert counting.most == 3  # the cap was reached, never passed


async def test_slots_come_back_after_errors_and_cancellations(
    server: tuple[Counting, str],
) -> None:
    counting, url = server
    async with GatedClient(in_flight=2, timeout=30) as client:
        errors = await asyncio.gather(*(client.get(url, params={"fail": "1"}) for _ in range(5)))
        assert {e.status_code for e in errors} == {500}
        with pytest.raises(httpx.ConnectError):
            await client.get("http://127.0.0.1:1/")  # nothing listens: the slot comes back
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(client.get(url), 0.001)  # cancelled in flight
        # sleep-ok: whether the abandoned request reached the server at all is unknown, so no
        # condition says it is over; this window lets it end before the cap is measured again
        await asyncio.sleep(0.1)
        # Were any slot leaked, these would wait forever.
        answers = await asyncio.wait_for(asyncio.gather(*(client.get(url) for _ in range(6))), 20)
    assert {a.status_code for a in answers} == {200}
    assert counting.most <= 2


def test_proxies_from_the_environment_still_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    """A platform behind an egress proxy keeps working: HTTPS_PROXY / NO_PROXY are honoured."""
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "internal.example")
    client = GatedClient(in_flight=2)
    proxied = client._transport_for_url(httpx.URL("https://nat.cn-north-4.myhuaweicloud.com/"))
    direct = client._transport_for_url(httpx.URL("https://internal.example/"))
    assert proxied is not direct
    assert direct is client._transport


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="in_flight"):
        GatedClient(in_flight=0)
