"""Client-side rate limiting: one token bucket per (endpoint, account), served by priority.

Clouds throttle per account and endpoint (Huawei answers APIGW.0308 / 429,
Alibaba Throttling.User); pacing our own calls keeps a burst of reconciles
from turning into a storm of throttled retries, and a bucket per account
keeps one tenant's burst from delaying another account's calls.

* **Priorities**: when callers wait on the same bucket, deletes go first
  (they free quota and end finalizers), then creates, then updates, then
  reads (observations and drift listings), each class in arrival order.
  A call's own priority comes from its verb; :data:`operation_priority`
  raises it for every call of an operation (the delete path sets DELETE, so
  the reads a delete makes go first too).
* **Throttling answers** slow the bucket: its rate halves (at most once a
  second, never below a sixteenth of its configured rate) and it pauses for
  a jittered backoff, or for the server's Retry-After capped at
  :data:`MAX_SERVER_DELAY`; each success then adds back a twentieth of the
  configured rate (AIMD, as TCP recovers from loss).

Hand-written rather than imported: no rate-limiter library is among the
project's dependencies, the well-known one (aiolimiter) has neither
priorities nor a rate that answers throttling, and a bucket we own can take
an injected clock so tests need no real sleeping.
"""

from __future__ import annotations

import asyncio
import contextvars
import enum
import hashlib
import heapq
import itertools
import random
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from cloudnet.api.errors import MAX_RETRY_AFTER

__all__ = [
    "MAX_SERVER_DELAY",
    "Priority",
    "RateLimiter",
    "RateLimiterRegistry",
    "TokenBucket",
    "account_key",
    "operation_priority",
]

#: Longest pause a server's Retry-After (or x-acs-retry-after) imposes on a bucket.
MAX_SERVER_DELAY = MAX_RETRY_AFTER
#: Throttling never slows a bucket below this share of its configured rate.
MIN_RATE_SHARE = 1 / 16
#: Successes that climb back from a halving: each adds rate / RECOVERY_STEPS.
RECOVERY_STEPS = 20
#: First pause after a throttling answer without Retry-After; doubles while they repeat.
THROTTLE_PAUSE = 0.5


class Priority(enum.IntEnum):
    """Who goes first when callers wait on one bucket: lower values first."""

    DELETE = 0
    CREATE = 1
    UPDATE = 2
    READ = 3


#: The priority of the operation the current task's calls belong to; a call goes at the
#: more urgent of this and its own.
operation_priority: contextvars.ContextVar[Priority] = contextvars.ContextVar(
    "cloudnet_operation_priority", default=Priority.READ
)


class RateLimiter(Protocol):
    """Anything that can make a caller wait for its turn, and hear how the call went."""

    async def acquire(self, priority: Priority = Priority.READ) -> None: ...

    def throttled(self, retry_after: float | None = None) -> None: ...

    def succeeded(self) -> None: ...


def account_key(identity: str) -> str:
    """A bucket key for an account: a digest, so no key id (or token) is kept as text."""
    return hashlib.sha256(identity.encode()).hexdigest()[:16]


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
        #: the configured rate; ``rate`` is the current one, lower after throttling
        self.base_rate = rate
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._stamp = clock()
        self._paused_until = self._stamp
        self._last_decrease = -float("inf")
        self._throttles = 0
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._server: asyncio.Task[None] | None = None

    def configure(self, rate: float, burst: int) -> None:
        """New configured limits (a ProviderConfig changed); a throttled rate stays as low."""
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self._refill()
        share = self.rate / self.base_rate
        self.base_rate, self.burst = rate, burst
        self.rate = rate * share
        self._tokens = min(self._tokens, float(burst))

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + max(0.0, now - self._stamp) * self.rate)
        self._stamp = now

    async def acquire(self, priority: Priority = Priority.READ) -> None:
        """Take one token, waiting behind callers of a higher priority (then arrival order)."""
        priority = min(priority, operation_priority.get())
        self._refill()
        if not self._waiters and self._tokens >= 1 and self._clock() >= self._paused_until:
            self._tokens -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (int(priority), next(self._order), waiter))
        if self._server is None or self._server.done():
            self._server = asyncio.create_task(self._serve())
        await waiter

    async def _serve(self) -> None:
        """Hand out tokens to the waiters, best priority first, while any wait."""
        while self._waiters:
            if self._waiters[0][2].done():  # its caller gave up (cancelled)
                heapq.heappop(self._waiters)
                continue
            now = self._clock()
            if now < self._paused_until:
                await self._sleep(self._paused_until - now)
                continue
            self._refill()
            if self._tokens >= 1:
                self._tokens -= 1
                heapq.heappop(self._waiters)[2].set_result(None)
                continue
            await self._sleep((1 - self._tokens) / self.rate)

    def throttled(self, retry_after: float | None = None) -> None:
        """The cloud said "too many": halve the rate, drop saved tokens, pause with jitter."""
        self._refill()
        now = self._clock()
        if now - self._last_decrease >= 1.0:
            # Answers to calls already in flight arrive together: one halving for them all.
            self._last_decrease = now
            self.rate = max(self.base_rate * MIN_RATE_SHARE, self.rate / 2)
            self._throttles += 1
        self._tokens = min(self._tokens, 0.0)
        pause = min(MAX_SERVER_DELAY, THROTTLE_PAUSE * 2 ** min(self._throttles - 1, 16))
        pause = pause / 2 + random.uniform(0, pause / 2)  # equal jitter, as core.outcome
        if retry_after is not None and retry_after > 0:
            pause = max(pause, min(MAX_SERVER_DELAY, retry_after))
        self._paused_until = max(self._paused_until, now + pause)

    def succeeded(self) -> None:
        """A call went through: climb back towards the configured rate, additively."""
        self._throttles = 0
        if self.rate < self.base_rate:
            self._refill()
            self.rate = min(self.base_rate, self.rate + self.base_rate / RECOVERY_STEPS)


class RateLimiterRegistry:
    """One bucket per (endpoint, account), each within the operator-wide cap.

    ``rate`` and ``burst`` are the cap (``cloudnet run --cloud-rate``): a
    ProviderConfig's own limits, or its provider's defaults, apply below it.
    """

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """``clock`` / ``sleep``: every bucket's, so that a test can run on virtual time."""
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[tuple[str, str], TokenBucket] = {}

    def for_account(
        self,
        endpoint: str,
        account: str,
        *,
        rate: float | None = None,
        burst: int | None = None,
    ) -> TokenBucket:
        """The bucket of ``account`` (an :func:`account_key`) at ``endpoint``, capped.

        The same key always yields the same bucket; changed limits are applied to it.
        """
        capped_rate = min(self.rate, rate if rate is not None else self.rate)
        capped_burst = max(1, min(self.burst, burst if burst is not None else self.burst))
        key = (endpoint.rstrip("/").lower(), account)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(
                capped_rate, capped_burst, clock=self._clock, sleep=self._sleep
            )
        elif (bucket.base_rate, bucket.burst) != (capped_rate, capped_burst):
            bucket.configure(capped_rate, capped_burst)
        return bucket

    def for_endpoint(self, endpoint: str) -> TokenBucket:
        """The bucket of an endpoint's anonymous account, at the cap."""
        return self.for_account(endpoint, "")
