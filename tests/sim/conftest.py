"""Fixtures for the simulator conformance tests (helpers: simkit.py).

Requests are signed with the project's own signer (``cloudnet.clouds.signing``)
and go through ``httpx.ASGITransport`` (no sockets), except where a test
needs a real server (official SDK, CLI restart). The clock is fake, so
lifecycle delays and throttling are exact and instant.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from cloudnet.sim.server import create_app
from tests.sim import codes_kit
from tests.sim.simkit import AK, SK, ClientFactory, FakeClock, HuaweiSigner, LiveServer, sim


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(clock: FakeClock) -> Starlette:
    """The default-inventory simulator with admin on and throttling off (tested apart)."""
    application = create_app(admin=True, clock=clock)
    sim(application).store.inventory.settings.throttle_rate = 0
    return application


@pytest.fixture
async def make_client(app: Starlette, clock: FakeClock) -> AsyncIterator[ClientFactory]:
    """Build clients on the app: ``make_client(auth=...)``; default AK/SK-signed."""
    clients: list[httpx.AsyncClient] = []

    def factory(auth: httpx.Auth | None = None, application: Starlette | None = None) -> Any:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application or app),
            base_url="http://nat.cn-north-4.sim.test",
            auth=auth if auth is not None else HuaweiSigner(AK, SK, clock=clock),
        )
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.aclose()


@pytest.fixture
async def hw(make_client: ClientFactory) -> httpx.AsyncClient:
    """A client signed with the main project's AK/SK."""
    return make_client()


@pytest.fixture
async def admin(make_client: ClientFactory) -> httpx.AsyncClient:
    """An unauthenticated client for /_sim/."""

    class NoAuth(httpx.Auth):
        def auth_flow(
            self, request: httpx.Request
        ) -> Generator[httpx.Request, httpx.Response, None]:
            yield request

    return make_client(auth=NoAuth())


@pytest.fixture
def live_app() -> Starlette:
    """A real-clock simulator (admin on, throttling off, no delays) for socket tests."""
    application = create_app(admin=True)
    settings = sim(application).store.inventory.settings
    settings.throttle_rate = 0
    settings.huawei_dnat_create_delay = 0
    settings.huawei_dnat_update_delay = 0
    settings.huawei_dnat_delete_delay = 0
    return application


@pytest.fixture
def live(live_app: Starlette) -> Iterator[LiveServer]:
    with LiveServer(live_app) as server:
        yield server


@pytest.fixture(autouse=True, scope="session")
def _record_answered_codes() -> Iterator[None]:
    """Every error the simulator answers in this process, for test_zz_codes_produced.py."""
    from cloudnet.sim.server import Simulator

    original = Simulator._log

    def recording(self: Simulator, entry: dict[str, Any], status: int, code: str | None) -> None:
        if code is not None:
            # an unrouted request is answered by Huawei's gateway (APIGW.0101)
            key = (str(entry.get("family") or "huawei"), str(entry.get("action") or ""), code)
            codes_kit.record(key, by_fault=entry.get("fault") is not None)
        original(self, entry, status, code)

    Simulator._log = recording  # type: ignore[method-assign]
    yield
    Simulator._log = original  # type: ignore[method-assign]


def pytest_deselected(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    codes_kit.DESELECTED.extend(item.nodeid for item in items if here in Path(item.path).parents)


def pytest_sessionfinish(session: pytest.Session) -> None:
    codes_kit.save(session.config)
