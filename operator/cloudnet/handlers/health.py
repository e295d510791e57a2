"""Readiness, and the small HTTP server that serves it and ``/metrics``.

Liveness is kopf's own (``cloudnet run --liveness URL``, kopf's spelling):
kopf answers at that URL while its event loop runs, with the results of the
``kopf.on.probe`` handlers. Readiness is ours (``--readiness URL``) and means
"watching, and the clouds reachable":

* watching: kopf raised its ready flag, which it does once the startup
  handlers are done and it starts the watch streams;
* clouds reachable: the last call to each cloud endpoint in use got an HTTP
  answer. Any answer counts, a cloud error code included (the endpoint is
  there; the error is the resource's business and is in its status); a
  connection error or timeout does not. An endpoint not called for
  :data:`IN_USE_FOR` seconds is no longer counted as in use, so one that a
  deleted ProviderConfig named cannot keep the operator unready. Before the
  first call nothing is known to be unreachable.

The answer is JSON, ``{"watching": bool, "clouds": {endpoint: bool}}``, with
200 when ready and 503 otherwise. Endpoints are the ProviderConfigs' URLs,
never credentials. The server is aiohttp (kopf's own HTTP stack, and
``prometheus-client`` has a handler for it), in the operator's event loop;
metrics and readiness share one server when given the same host and port.
"""

from __future__ import annotations

import asyncio
import logging
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

import aiohttp.web

from cloudnet.clouds.observe import CallRecord

__all__ = ["IN_USE_FOR", "Address", "OpsServer", "Readiness", "parse_bind_address", "parse_url"]

logger = logging.getLogger(__name__)

#: Seconds after its last call that an endpoint still counts as in use. Longer than
#: the longest retry backoff (300 s) and the default drift interval (60 s): an
#: endpoint in use is called more often than that.
IN_USE_FOR = 600.0

Handler = Callable[[aiohttp.web.Request], Awaitable[aiohttp.web.StreamResponse]]


@dataclass(frozen=True)
class Address:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_bind_address(value: str) -> Address:
    """``HOST:PORT``, ``:PORT`` (every interface) or ``[IPv6]:PORT``; ValueError otherwise."""
    parts = urllib.parse.urlsplit(f"//{value.strip()}")
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None or parts.path or parts.query or parts.username:
        raise ValueError(f"{value!r} is not HOST:PORT")
    return Address(parts.hostname or "0.0.0.0", port)


def parse_url(value: str) -> tuple[Address, str]:
    """``http://HOST:PORT/PATH``, as kopf reads ``--liveness``; ValueError otherwise."""
    parts = urllib.parse.urlsplit(value.strip())
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != "http" or not parts.hostname or port is None:
        raise ValueError(f"{value!r} is not http://HOST:PORT/PATH")
    return Address(parts.hostname, port), parts.path or "/"


@dataclass
class Readiness:
    """Whether the operator watches and the clouds it uses answer."""

    in_use_for: float = IN_USE_FOR
    clock: Callable[[], float] = time.monotonic
    #: kopf's ready flag (``kopf.operator(ready_flag=...)``)
    watching: asyncio.Event = field(default_factory=asyncio.Event)
    _endpoints: dict[str, tuple[bool, float]] = field(default_factory=dict)

    def cloud_call(self, record: CallRecord) -> None:
        self._endpoints[record.endpoint] = (record.answered, self.clock())

    def clouds(self) -> dict[str, bool]:
        now = self.clock()
        for endpoint, (_, when) in list(self._endpoints.items()):
            if now - when > self.in_use_for:
                del self._endpoints[endpoint]
        return {endpoint: answered for endpoint, (answered, _) in self._endpoints.items()}

    def report(self) -> tuple[bool, dict[str, object]]:
        clouds = self.clouds()
        watching = self.watching.is_set()
        return watching and all(clouds.values()), {"watching": watching, "clouds": clouds}

    async def handle(self, request: aiohttp.web.Request) -> aiohttp.web.Response:
        ready, body = self.report()
        return aiohttp.web.json_response(body, status=200 if ready else 503)


class OpsServer:
    """One aiohttp site per address, each serving its routes (GET only)."""

    def __init__(self, routes: Mapping[Address, Sequence[tuple[str, Handler]]]) -> None:
        self._routes = routes
        self._runners: list[aiohttp.web.AppRunner] = []

    async def start(self) -> None:
        for address, routes in self._routes.items():
            app = aiohttp.web.Application()
            app.add_routes([aiohttp.web.get(path, handler) for path, handler in routes])
            runner = aiohttp.web.AppRunner(app, handle_signals=False, access_log=None)
            await runner.setup()
            self._runners.append(runner)
            await aiohttp.web.TCPSite(runner, address.host, address.port).start()
            logger.info("serving %s on %s", ", ".join(p for p, _ in routes), address)

    async def stop(self) -> None:
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()
