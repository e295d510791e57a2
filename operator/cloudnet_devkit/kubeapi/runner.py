"""Running the test Kubernetes API on a loopback port, and a kubeconfig for it.

The operator under test runs as a separate process (``cloudnet run``) and
kubectl is a separate binary, so the API must listen on a real TCP port and
be described by a kubeconfig file. Tests run it in a background thread with
its own event loop (``serve()``), so that it keeps serving while a test
blocks on a subprocess or stops a kopf runner; the demo and ad-hoc sessions
run it in the foreground (``python -m cloudnet_devkit.kubeapi``).

kmock's own ``Server`` is not used: it patches aiohttp's DNS resolution
globally, which breaks when servers in different threads stop out of order.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import pathlib
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import aiohttp.web
import yaml

from cloudnet_devkit.kubeapi.server import TestKubeAPI

T = TypeVar("T")


class AsyncServer:
    """A TestKubeAPI listening on a TCP port inside the current event loop."""

    def __init__(
        self, api: TestKubeAPI, runner: aiohttp.web.BaseRunner, host: str, port: int
    ) -> None:
        self.api = api
        self.host = host
        self.port = port
        self._runner = runner

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def write_kubeconfig(self, path: str | os.PathLike[str]) -> pathlib.Path:
        return write_kubeconfig(path, self.url)

    async def stop(self) -> None:
        self.api.close_watches()
        await self._runner.cleanup()
        await self.api.__aexit__(None, None, None)


async def start(
    api: TestKubeAPI | None = None, host: str = "127.0.0.1", port: int = 0
) -> AsyncServer:
    """Start serving ``api`` (a fresh TestKubeAPI by default) in the running event loop."""
    api = api if api is not None else TestKubeAPI()
    await api.__aenter__()
    runner = aiohttp.web.ServerRunner(
        aiohttp.web.Server(api, access_log=None), handle_signals=False, shutdown_timeout=2.0
    )
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0]
    return AsyncServer(api, runner, host, int(bound[1]))


@contextlib.asynccontextmanager
async def running(
    api: TestKubeAPI | None = None, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[AsyncServer]:
    """``async with running() as server:`` — the API for the duration of the block."""
    server = await start(api, host, port)
    try:
        yield server
    finally:
        await server.stop()


class ServerHandle:
    """A TestKubeAPI served from a background thread with its own event loop.

    ``url``, ``kubeconfig(path)``, ``call(fn)`` to run a function inside the
    server's loop (for consistent reads of ``api``), and ``stop()``.
    """

    def __init__(self, api: TestKubeAPI | None, host: str, port: int) -> None:
        self.api = api if api is not None else TestKubeAPI()
        self.loop = asyncio.new_event_loop()
        self._server: AsyncServer | None = None
        self._started: concurrent.futures.Future[AsyncServer] = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=self._run, args=(host, port), name="cloudnet-kube-api", daemon=True
        )
        self._thread.start()
        self._server = self._started.result(timeout=30)

    def _run(self, host: str, port: int) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            server = self.loop.run_until_complete(start(self.api, host, port))
        except BaseException as exc:
            self._started.set_exception(exc)
            return
        self._started.set_result(server)
        self.loop.run_forever()
        self.loop.run_until_complete(server.stop())
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    @property
    def host(self) -> str:
        assert self._server is not None
        return self._server.host

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def kubeconfig(self, path: str | os.PathLike[str]) -> pathlib.Path:
        """Write a kubeconfig pointing at this server; returns the path."""
        return write_kubeconfig(path, self.url)

    def call(self, fn: Callable[[TestKubeAPI], T], timeout: float = 10.0) -> T:
        """Run ``fn(api)`` in the server's loop and return its result."""

        async def invoke() -> T:
            return fn(self.api)

        return asyncio.run_coroutine_threadsafe(invoke(), self.loop).result(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout)

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(host: str = "127.0.0.1", port: int = 0, api: TestKubeAPI | None = None) -> ServerHandle:
    """Start the test Kubernetes API in a background thread; returns when it listens."""
    return ServerHandle(api, host, port)


def kubeconfig_dict(url: str, namespace: str = "default") -> dict[str, Any]:
    name = "cloudnet-test"
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": url}}],
        "users": [{"name": name, "user": {}}],
        "contexts": [
            {"name": name, "context": {"cluster": name, "user": name, "namespace": namespace}}
        ],
        "current-context": name,
        "preferences": {},
    }


def write_kubeconfig(
    path: str | os.PathLike[str], url: str, namespace: str = "default"
) -> pathlib.Path:
    """Write a kubeconfig (plain http, no credentials) for the API at ``url``."""
    target = pathlib.Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(kubeconfig_dict(url, namespace), sort_keys=False))
    return target
