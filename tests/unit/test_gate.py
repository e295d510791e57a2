"""The cap on cloud requests in flight, over a real HTTP server."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cloudnet.clouds.gate import GatedTransport
from tests.sim.simkit import LiveServer


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
            await asyncio.sleep(0.02)
            with self.lock:
                self.now -= 1
                self.served += 1
            if request.query_params.get("fail"):
                return JSONResponse({"error": "no"}, status_code=500)
            return JSONResponse({"big": "x" * 100_000})

        return Starlette(routes=[Route("/", slow)])


@pytest.fixture
def server() -> tuple[Counting, str]:
    counting = Counting()
    with LiveServer(counting.app()) as live:
        yield counting, live.url  # type: ignore[misc]


async def test_no_more_than_the_limit_in_flight(server: tuple[Counting, str]) -> None:
    counting, url = server
    async with httpx.AsyncClient(
        transport=GatedTransport(httpx.AsyncHTTPTransport(), 3), timeout=30
    ) as client:
        answers = await asyncio.gather(*(client.get(url) for _ in range(40)))
    assert [a.status_code for a in answers] == [200] * 40
    assert all(len(a.json()["big"]) == 100_000 for a in answers)  # bodies read in full
    assert counting.served == 40
    assert counting.most == 3  # the cap was reached, never passed


async def test_slots_come_back_after_errors_and_streamed_bodies(
    server: tuple[Counting, str],
) -> None:
    counting, url = server
    transport = GatedTransport(httpx.AsyncHTTPTransport(), 2)
    async with httpx.AsyncClient(transport=transport, timeout=30) as client:
        errors = await asyncio.gather(*(client.get(url, params={"fail": "1"}) for _ in range(5)))
        assert {e.status_code for e in errors} == {500}
        async with client.stream("GET", url) as streamed:
            async for _ in streamed.aiter_bytes():
                break  # closed half read
        with pytest.raises(httpx.ConnectError):
            await client.get("http://127.0.0.1:1/")  # nothing listens: the slot comes back
        # Were any slot leaked, these would wait forever.
        answers = await asyncio.wait_for(asyncio.gather(*(client.get(url) for _ in range(6))), 20)
    assert {a.status_code for a in answers} == {200}
    assert counting.most <= 2


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        GatedTransport(httpx.AsyncHTTPTransport(), 0)
