"""The simulator's ASGI app: every simulated cloud API on one port (``cloudnet sim``).

One pipeline serves every API family, so authentication order, throttling,
faults and the request log behave the same whatever the cloud::

    route (family, action) ─▶ authenticate ─▶ throttle per caller ─▶ faults
        ─▶ handler (mutates the store, commits the state file) ─▶ log ─▶ answer

The APIs of the registered families (``sim/registry.py``) are tried in
order, then the fallbacks of their gateways (a gateway's answer for what
none of its products serves); each claims the requests it serves. A request
none claims gets the ``unrouted`` answer of the first gateway that has one
(a gateway's "no such API" 404). Every answer carries ``X-Request-Id``.
Each API words throttling and errors its own way (``ApiFamily.throttle``,
``ApiFamily.render_error``); this module knows no family by name.

The admin endpoints (``/_sim/...``, see ``sim/admin.py``) exist only with
``admin=True``; otherwise ``/_sim/`` answers a plain 404.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from cloudnet.sim.core import (
    ApiFamily,
    CallContext,
    Clock,
    CoreSettings,
    RequestLog,
    SimError,
    TokenBuckets,
)
from cloudnet.sim.faults import FaultBook, FaultRule
from cloudnet.sim.inventory import InventoryBase
from cloudnet.sim.registry import installed
from cloudnet.sim.state import Store

log = logging.getLogger("cloudnet.sim")

_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class _NoAnswer(Response):
    """Send nothing: the client went away while its answer was held back."""

    def __init__(self) -> None:
        super().__init__(status_code=204)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        return None


class Simulator:
    """The state of one simulator instance: store, families, throttle, faults, log."""

    def __init__(self, store: Store, *, clock: Clock, rng: random.Random | None = None) -> None:
        self.clock = clock
        self.faults = FaultBook(rng)
        #: the world as it started, for :meth:`reset`
        self._initial = store.inventory.model_dump()
        self._bind(store)

    def _bind(self, store: Store) -> None:
        self.store = store
        world = store.world
        self.families: list[ApiFamily] = [api for f in world.families for api in f.apis(store)]
        # after every family: what no product of a gateway's cloud claimed
        self.families += [g.fallback(store) for g in world.gateways if g.fallback is not None]
        self._unrouted = next((g.unrouted for g in world.gateways if g.unrouted), None)
        self.buckets = TokenBuckets(self.clock)
        self.log = RequestLog(store.inventory.settings.request_log_size)

    def reset(self) -> None:
        """Back to the world it started with: objects, settings, throttle buckets, the
        gateways' run-time state (nonces, lockouts), no fault rules, an empty log; the
        state file, if any, is rewritten. One simulator process can then serve a series
        of tests that each expect a fresh cloud, without a process start per test."""
        world = self.store.world
        store = Store(world.validate(self._initial), world=world, state_path=self.store.state_path)
        store.commit()
        self.faults.clear()
        self._bind(store)

    @property
    def settings(self) -> CoreSettings:
        return self.store.inventory.settings

    async def handle(self, request: Request) -> Response:
        """The pipeline of the module docstring, for one request."""
        now = self.clock()
        request_id = uuid.uuid4().hex
        body = await request.body()
        entry: dict[str, Any] = {
            "time": now,
            "family": None,
            "action": None,
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "caller": None,
            "status": None,
            "error_code": None,
            "request_id": request_id,
            "fault": None,
            "committed": False,
            "held": False,
        }
        call = None
        for family in self.families:
            call = family.route(request)
            if call is not None:
                break
        if call is None:
            if self._unrouted is None:
                self._log(entry, 404, None)
                return JSONResponse({"error": "no simulated API serves this request"}, 404)
            error, answer = self._unrouted(request_id)
            self._log(entry, error.status, error.code)
            return answer
        entry["family"] = call.family.name
        host = request.url.hostname or ""
        entry["action"] = call.action
        fault: FaultRule | None = None
        ctx: CallContext | None = None
        try:
            principal = await call.family.authenticate(request, body, call, now)
            entry["caller"] = principal.key
            refusal = call.family.throttle(self.buckets, principal, call, host)
            if refusal is not None:
                raise refusal
            fault = self.faults.fire(call.family.name, call.action, principal.key)
            if fault is not None:
                entry["fault"] = fault.id
                if fault.latency:
                    await asyncio.sleep(fault.latency)
                if fault.error_code is not None and fault.status is not None:
                    raise SimError(
                        fault.status,
                        fault.error_code,
                        fault.error_msg,
                        # a hint the API may show (or not: ``render_error`` decides)
                        retry_after=1.0 if fault.status == 429 else None,
                    )
            ctx = CallContext(
                request=request,
                body=body,
                call=call,
                principal=principal,
                store=self.store,
                now=self.clock(),
                request_id=request_id,
            )
            response = await call.handler(ctx)
        except SimError as error:
            response = call.family.render_error(error, request_id, host=host)
            self._log(entry, error.status, error.code)
            return response
        entry["committed"] = ctx.committed
        hold = fault is not None and fault.drop_response_after_commit and ctx.committed
        entry["held"] = hold
        self._log(entry, response.status_code, None)
        if fault is not None and hold:
            if fault.hold_seconds is None:
                await _until_disconnect(request)
                return _NoAnswer()
            await asyncio.sleep(fault.hold_seconds)
        return response

    def _log(self, entry: dict[str, Any], status: int, code: str | None) -> None:
        entry["status"] = status
        entry["error_code"] = code
        entry["duration"] = round(self.clock() - entry["time"], 6)
        self.log.resize(self.settings.request_log_size)
        self.log.append(entry)
        log.debug(
            "%s %s %s -> %s %s", entry["action"], entry["method"], entry["path"], status, code or ""
        )


async def _until_disconnect(request: Request) -> None:
    """Wait until the client goes away (the body was read already, so only that is left)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


async def _admin_disabled(request: Request) -> Response:
    return JSONResponse({"error": "admin endpoints are off (start with --admin)"}, status_code=404)


def create_app(
    *,
    inventory: Path | InventoryBase | None = None,
    state: Path | None = None,
    admin: bool = False,
    clock: Clock = time.time,
    rng: random.Random | None = None,
) -> Starlette:
    """The simulator app; ``app.state.simulator`` is the :class:`Simulator` behind it.

    ``inventory``: YAML (None = the bundled default; or one already parsed, as tests
    that build many apps parse it once); ``state``: JSON file that
    persists every write and, when it exists, wins over the inventory;
    ``admin``: serve ``/_sim/``; ``clock``: epoch seconds (tests pass a fake);
    ``rng``: randomness of fault rates (tests pass a seeded one).
    """
    from cloudnet.sim.admin import admin_routes

    store = Store.open(installed(), inventory=inventory, state=state)
    simulator = Simulator(store, clock=clock, rng=rng)
    routes: list[BaseRoute] = []
    if admin:
        routes.extend(admin_routes(simulator))
    else:
        routes.append(Route("/_sim/{rest:path}", _admin_disabled, methods=_ALL_METHODS))
    routes.append(Route("/{path:path}", simulator.handle, methods=_ALL_METHODS))
    app = Starlette(routes=routes)
    app.state.simulator = simulator
    return app


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 18900,
    inventory: Path | None = None,
    state: Path | None = None,
    admin: bool = False,
) -> None:
    """Run the simulator with uvicorn until interrupted (``cloudnet sim``)."""
    import uvicorn

    app = create_app(inventory=inventory, state=state, admin=admin)
    # a held-back answer (fault drop_response_after_commit) would block a graceful
    # shutdown until its client goes away: give up on it after a few seconds
    uvicorn.run(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=3)
