"""The token buckets: priorities, throttling feedback, one bucket per (endpoint, account).

A fake clock whose sleep moves time on: no test here sleeps for real.
"""

from __future__ import annotations

import asyncio

import pytest

from cloudnet.catalog import ProviderConfigSpec
from cloudnet.clouds.ratelimit import (
    MAX_SERVER_DELAY,
    MIN_RATE_SHARE,
    Priority,
    RateLimiterRegistry,
    TokenBucket,
    account_key,
    operation_priority,
)
from cloudnet.registry import PROVIDER_RATE_LIMITS, ProviderRegistry


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def bucket(rate: float, burst: int) -> tuple[TokenBucket, FakeTime]:
    fake = FakeTime()
    return TokenBucket(rate, burst, clock=fake.clock, sleep=fake.sleep), fake


async def test_waiters_are_served_deletes_first_then_creates_updates_reads() -> None:
    limiter, _ = bucket(rate=1, burst=1)
    await limiter.acquire()  # the only token: everyone below waits
    served: list[str] = []

    async def call(name: str, priority: Priority) -> None:
        await limiter.acquire(priority)
        served.append(name)

    await asyncio.gather(
        call("drift-1", Priority.READ),
        call("update", Priority.UPDATE),
        call("drift-2", Priority.READ),
        call("create", Priority.CREATE),
        call("delete", Priority.DELETE),
    )
    assert served == ["delete", "create", "update", "drift-1", "drift-2"]


async def test_the_calls_of_a_delete_operation_all_go_first() -> None:
    """The delete path sets operation_priority: its reads overtake queued creates."""
    limiter, _ = bucket(rate=1, burst=1)
    await limiter.acquire()
    served: list[str] = []

    async def call(name: str, priority: Priority, operation: Priority | None = None) -> None:
        if operation is not None:
            operation_priority.set(operation)  # the task's own context copy
        await limiter.acquire(priority)
        served.append(name)

    await asyncio.gather(
        call("create", Priority.CREATE),
        call("read of a delete", Priority.READ, operation=Priority.DELETE),
        call("update in a delete", Priority.UPDATE, operation=Priority.DELETE),
        call("plain read", Priority.READ),
    )
    assert served == ["read of a delete", "update in a delete", "create", "plain read"]
    assert operation_priority.get() is Priority.READ  # nothing leaked out of the tasks


async def test_a_cancelled_waiter_gives_its_turn_away() -> None:
    limiter, _ = bucket(rate=1, burst=1)
    await limiter.acquire()
    gone = asyncio.ensure_future(limiter.acquire(Priority.DELETE))
    await asyncio.sleep(0)  # sleep-ok: one loop turn, no time: the waiter queues
    gone.cancel()
    await limiter.acquire(Priority.READ)  # does not hang behind the cancelled one


async def test_throttling_halves_the_rate_once_per_burst_of_answers_and_pauses() -> None:
    limiter, fake = bucket(rate=10, burst=10)
    limiter.throttled(retry_after=2.0)
    limiter.throttled(retry_after=2.0)  # the same instant: answers to calls in flight
    assert limiter.rate == 5
    await limiter.acquire()
    # Saved-up tokens are gone and the server's delay is kept.
    assert sum(fake.sleeps) == pytest.approx(2.0)


async def test_a_server_delay_is_capped() -> None:
    limiter, fake = bucket(rate=10, burst=10)
    limiter.throttled(retry_after=86_400.0)
    await limiter.acquire()
    assert sum(fake.sleeps) == pytest.approx(MAX_SERVER_DELAY)


async def test_repeated_throttles_back_off_with_jitter_to_a_floor() -> None:
    limiter, fake = bucket(rate=16, burst=1)
    pauses = []
    # Twelve: answers less than a second apart count as one (they were in flight
    # together), so the first few may not double; by the twelfth the cap is reached.
    for _ in range(12):
        start = fake.now
        limiter.throttled()
        await limiter.acquire()
        pauses.append(fake.now - start)
    assert limiter.rate == pytest.approx(16 * MIN_RATE_SHARE)
    # Each pause is at least half the doubled backoff (equal jitter), so they grow.
    assert pauses[-1] > pauses[0] * 8


async def test_successes_recover_the_rate_additively() -> None:
    limiter, _ = bucket(rate=10, burst=10)
    limiter.throttled()
    assert limiter.rate == 5
    limiter.succeeded()
    assert limiter.rate == pytest.approx(5.5)
    for _ in range(50):
        limiter.succeeded()
    assert limiter.rate == 10  # never above the configured rate


def test_one_bucket_per_endpoint_and_account_within_the_cap() -> None:
    registry = RateLimiterRegistry(rate=20, burst=20)
    a, b = account_key("AK-A"), account_key("AK-B")
    assert "AK-A" not in a  # only a digest is kept
    first = registry.for_account("https://nat.x.myhuaweicloud.com/", a, rate=5, burst=5)
    assert first is registry.for_account("https://NAT.x.myhuaweicloud.com", a, rate=5, burst=5)
    assert first is not registry.for_account("https://nat.x.myhuaweicloud.com", b)
    assert first is not registry.for_account("https://nat.y.myhuaweicloud.com", a)
    capped = registry.for_account("https://e", a, rate=500, burst=500)
    assert (capped.base_rate, capped.burst) == (20, 20)
    # Changed limits apply to the same bucket.
    again = registry.for_account("https://e", a, rate=2, burst=1)
    assert again is capped and (again.base_rate, again.burst) == (2, 1)


def _spec(**extra: object) -> ProviderConfigSpec:
    return ProviderConfigSpec.model_validate(
        {
            "provider": "alibaba-ens",
            "region": "cn-hangzhou",
            "credentialsSecretRef": {"name": "creds"},
            **extra,
        }
    )


def test_provider_defaults_a_provider_configs_own_limit_and_the_cap() -> None:
    registry = ProviderRegistry(rate=50, burst=50)
    secret_a = {"accessKeyId": "AK-A", "accessKeySecret": "x"}
    secret_b = {"accessKeyId": "AK-B", "accessKeySecret": "x"}
    default = registry.limiter(_spec(), secret_a)
    assert (default.base_rate, default.burst) == PROVIDER_RATE_LIMITS["alibaba-ens"]
    # A rotated secret of the same key id is the same account, the same bucket.
    assert registry.limiter(_spec(), {**secret_a, "accessKeySecret": "y"}) is default
    assert registry.limiter(_spec(), secret_b) is not default
    own = registry.limiter(_spec(rateLimit={"qps": 2.5}), secret_b)
    assert (own.base_rate, own.burst) == (2.5, 3)
    over = registry.limiter(_spec(rateLimit={"qps": 9000, "burst": 9000}), secret_b)
    assert (over.base_rate, over.burst) == (50, 50)


@pytest.mark.parametrize("limit", [{"qps": 0}, {"qps": 20000}, {"qps": 1, "burst": 0}, {}])
def test_rate_limit_values_are_validated(limit: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="rateLimit"):
        _spec(rateLimit=limit)
