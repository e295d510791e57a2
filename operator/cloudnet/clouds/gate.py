"""A cap on requests in flight per endpoint, in front of httpx's connection pool.

httpcore's pool looks through every waiting request each time a connection
frees up, so a burst of 1,000 creates queued on a pool of 20 connections cost
the operator about 12% of its CPU in that scan alone (py-spy, 1,000 rules).
Waiting on a semaphore instead costs nothing per waiter. The slot is held
until the response body is closed, because the connection is busy until then.
Hand-written: httpx has no such option, and it is one transport wrapper.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx

__all__ = ["GatedTransport"]


class _ReleasingStream(httpx.AsyncByteStream):
    """The response body; closing it (httpx always does) gives the slot back, once."""

    def __init__(self, inner: httpx.AsyncByteStream, gate: asyncio.Semaphore) -> None:
        self._inner = inner
        self._gate: asyncio.Semaphore | None = gate

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            gate, self._gate = self._gate, None
            if gate is not None:
                gate.release()


class GatedTransport(httpx.AsyncBaseTransport):
    """At most ``limit`` requests of this transport in flight; the others wait their turn."""

    def __init__(self, inner: httpx.AsyncBaseTransport, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be >= 1")
        self._inner = inner
        self._gate = asyncio.Semaphore(limit)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self._gate.acquire()
        try:
            response = await self._inner.handle_async_request(request)
        except BaseException:
            self._gate.release()
            raise
        if not isinstance(response.stream, httpx.AsyncByteStream):
            self._gate.release()  # nothing to wait for: the body is in memory already
            return response
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_ReleasingStream(response.stream, self._gate),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()
