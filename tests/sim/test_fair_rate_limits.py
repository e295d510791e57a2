"""Fair rate limits through the real stack: registry, clients, httpx, a real simulator server.

One tenant's burst on account A must not delay account B's calls, a second
ProviderConfig of account A shares A's pace, and a delete waiting on A's
bucket goes before A's queued reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable

from starlette.applications import Starlette

from cloudnet.api.errors import CloudException
from cloudnet.catalog import ProviderConfigSpec
from cloudnet.registry import ProviderRegistry
from tests.fixtures.simkit import (
    AK,
    GW,
    OTHER_AK,
    OTHER_PROJECT,
    OTHER_SK,
    PROJECT,
    SK,
    LiveServer,
    sim,
)
from tests.wait_kit import wait_until_async

#: A's burst: BURST reads at QPS calls/s with no saved tokens take (BURST - 1) / QPS seconds.
QPS = 10.0
BURST = 15


def _spec(url: str, project: str, region: str = "cn-north-4") -> ProviderConfigSpec:
    return ProviderConfigSpec.model_validate(
        {
            "provider": "huawei-nat",
            "region": region,
            "projectId": project,
            "endpoint": url,
            "rateLimit": {"qps": QPS, "burst": 1},
            "credentialsSecretRef": {"name": "creds"},
        }
    )


async def _timed(start: float, call: Awaitable[object]) -> float:
    # A delete of a rule that is not there is answered with an error: all that counts here.
    with contextlib.suppress(CloudException):
        await call
    return time.monotonic() - start


async def test_one_accounts_burst_does_not_delay_another_account(
    live: LiveServer, live_app: Starlette
) -> None:
    registry = ProviderRegistry(rate=1000, burst=1000, allowed=[live.url])
    a = registry.get(_spec(live.url, PROJECT), {"accessKeyId": AK, "accessKeySecret": SK})
    a_again = registry.get(
        _spec(live.url, PROJECT, region="cn-north-1"), {"accessKeyId": AK, "accessKeySecret": SK}
    )
    b = registry.get(
        _spec(live.url, OTHER_PROJECT), {"accessKeyId": OTHER_AK, "accessKeySecret": OTHER_SK}
    )
    assert a is not a_again  # two providers (two ProviderConfigs), one account
    try:
        start = time.monotonic()
        burst = [
            asyncio.create_task(_timed(start, a.client.list_dnat_rules_page(limit=1)))
            for _ in range(BURST)
        ]
        # A's first read is through, so the other reads of the burst are queued on A's bucket
        await wait_until_async(lambda: sim(live_app).log.entries(), what="A's first read")
        other_account, same_account, delete = await asyncio.gather(
            _timed(start, b.client.list_dnat_rules_page(limit=1)),
            _timed(start, a_again.client.list_dnat_rules_page(limit=1)),
            _timed(start, a.client.delete_dnat_rule(GW, "no-such-rule")),
        )
        burst_times = await asyncio.gather(*burst)
    finally:
        await registry.aclose()
    whole_burst = max(burst_times)
    assert whole_burst >= (BURST - 1) / QPS * 0.9
    # B has its own bucket: answered at once, long before A's burst is through.
    assert other_account < 0.5 < whole_burst
    # Account A's second ProviderConfig waits its turn behind A's queued reads ...
    assert same_account >= whole_burst - 0.2
    # ... but a delete on A goes before them.
    assert delete < sorted(burst_times)[len(burst_times) // 2]
