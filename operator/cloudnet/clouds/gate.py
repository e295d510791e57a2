"""A cap on requests in flight per endpoint, in front of httpx's connection pool.

httpcore's pool looks through its queued requests and connections each
time a connection frees up, so a burst of 1,000 creates queued on a pool of
20 connections cost the operator about 12% of its CPU in that scan alone
(py-spy, 1,000 rules). Waiting on a semaphore instead costs nothing per
waiter. The gate is on the client's ``send`` rather than on a transport: a
transport of our own would turn off httpx's proxies from the environment
(``HTTPS_PROXY``, ``NO_PROXY``). A request holds its slot until its answer
is read (the clouds' clients never stream). Hand-written: httpx has no such
option, and it is one method.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

__all__ = ["GatedClient"]


class GatedClient(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` with at most ``in_flight`` requests sent at once."""

    def __init__(self, *, in_flight: int, **kwargs: Any) -> None:
        if in_flight < 1:
            raise ValueError("in_flight must be >= 1")
        super().__init__(**kwargs)
        self._gate = asyncio.Semaphore(in_flight)

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        async with self._gate:
            return await super().send(request, **kwargs)
