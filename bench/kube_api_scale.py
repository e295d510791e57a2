"""How the test Kubernetes API scales: create N objects over HTTP, list them, watch them.

kmock 0.8 alone rescans its whole request history on every request (~0.6 ms
times requests served), so a few thousand objects stall it; this checks that the
``cloudnet_devkit.kubeapi`` API stays flat. Run: ``python bench/kube_api_scale.py 10000``.
"""

import asyncio
import json
import sys
import time

import aiohttp
import httpx

from cloudnet_devkit.kubeapi import serve

PATH = "/api/v1/namespaces/default/configmaps"


async def create_all(url: str, count: int, concurrency: int = 16) -> None:
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(url, connector=connector) as http:
        semaphore = asyncio.Semaphore(concurrency)

        async def one(index: int) -> None:
            async with (
                semaphore,
                http.post(
                    PATH,
                    json={
                        "metadata": {"name": f"cm-{index:05d}", "labels": {"bench": "yes"}},
                        "data": {"index": str(index)},
                    },
                ) as response,
            ):
                response.raise_for_status()

        await asyncio.gather(*(one(i) for i in range(count)))


def main(count: int) -> dict[str, float]:
    handle = serve()
    try:
        started = time.perf_counter()
        asyncio.run(create_all(handle.url, count))
        created = time.perf_counter()
        with httpx.Client(base_url=handle.url, timeout=60) as http:
            items = http.get(PATH, params={"labelSelector": "bench=yes"}).json()["items"]
            assert len(items) == count, len(items)
            listed = time.perf_counter()
            seen = 0
            params = {"watch": "true", "resourceVersion": "0", "timeoutSeconds": "1"}
            with http.stream("GET", PATH, params=params) as stream:
                for line in stream.iter_lines():
                    if line and json.loads(line)["type"] == "ADDED":
                        seen += 1
                        if seen == count:
                            break
            watched = time.perf_counter()
        return {
            "objects": count,
            "create_s": round(created - started, 3),
            "create_per_s": round(count / (created - started)),
            "list_s": round(listed - created, 3),
            "watch_initial_s": round(watched - listed, 3),
        }
    finally:
        handle.stop()


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)))
