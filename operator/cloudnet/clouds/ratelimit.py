"""Client-side rate limiting: one token bucket per cloud endpoint.

Clouds throttle per account and endpoint (Huawei answers APIGW.0308 / 429);
pacing our own calls keeps a burst of reconciles from turning into a storm of
throttled retries. Hand-written rather than imported: no rate-limiter library
is among the project's dependencies, the well-known one (aiolimiter) would be
a new runtime dependency for about thirty lines, and a bucket we own can take
an injected clock so tests need no real sleeping.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

__all__ = ["RateLimiter", "RateLimiterRegistry", "TokenBucket"]


class RateLimiter(Protocol):
    """Anything that can make a caller wait for its turn."""

    async def acquire(self) -> None: ...


class TokenBucket:
    """An asyncio token bucket: ``rate`` tokens per second, at most ``burst`` saved up."""

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._stamp = clock()
        # asyncio.Lock wakes waiters in FIFO order, so callers are served in turn.
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    async def acquire(self) -> None:
        """Take one token, sleeping until one is available."""
        async with self._lock:
            self._refill()
            while self._tokens < 1:
                await self._sleep((1 - self._tokens) / self.rate)
                self._refill()
            self._tokens -= 1


class RateLimiterRegistry:
    """Hands out one shared bucket per endpoint, so all clients of an endpoint share its pace."""

    def __init__(self, rate: float, burst: int = 1) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, TokenBucket] = {}

    def for_endpoint(self, endpoint: str) -> TokenBucket:
        key = endpoint.rstrip("/").lower()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self.rate, self.burst)
        return bucket
