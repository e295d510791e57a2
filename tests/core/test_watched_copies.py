"""ProviderConfig and Secret reads answered from their watch streams (handlers/watch.py).

A reconcile resolves its provider through :class:`~cloudnet.handlers.common.Resolver`.
With the watched copies in place it must not read the API server for a
ProviderConfig or a protected Secret the watch has shown, must see a change
as soon as its event arrived, must go back to the API server for what the
watch does not hold (a Secret not protected yet, or one that left the
watched selection), and must read fresh when asked to.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Mapping
from typing import Any

import pytest

from cloudnet.api.errors import ErrorClass
from cloudnet.core.reconciler import ConfigError
from cloudnet.handlers.common import Resolver
from cloudnet.handlers.context import OperatorContext
from cloudnet.handlers.kube_client import NotFoundError
from cloudnet.handlers.watch import WatchCache, WatchedCopies
from cloudnet.registry import ProviderRegistry

NS = "shop"
AK, SK = "HWSIMAK7Q2M4X9C1LP0E", "sImSk0Z8vQ3nB6yT1rW4eU7iO9pA2sD5fG8hJ1kL"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class CountingKube:
    """The two reads a Resolver makes, from bodies held here, counted."""

    def __init__(self) -> None:
        self.config: dict[str, Any] = {
            "metadata": {
                "name": "hw",
                "namespace": NS,
                "uid": "pc-1",
                "generation": 1,
                "resourceVersion": "3",
            },
            "spec": {
                "provider": "huawei-nat",
                "region": "cn-north-4",
                "projectId": "2993a37f1765d55d2a6526b764ae47e5",
                "endpoint": "http://127.0.0.1:9",
                "credentialsSecretRef": {"name": "creds"},
            },
        }
        self.secret: dict[str, Any] = {
            "metadata": {
                "name": "creds",
                "namespace": NS,
                "uid": "s-1",
                "resourceVersion": "7",
                "labels": {"cloudnet.dev/in-use": "true"},
            },
            "data": {"accessKeyId": b64(AK), "accessKeySecret": b64(SK)},
        }
        self.reads: list[str] = []

    async def get_provider_config(self, namespace: str, name: str) -> dict[str, Any]:
        self.reads.append(f"ProviderConfig/{name}")
        if (namespace, name) != (NS, "hw"):
            raise NotFoundError(f"ProviderConfig {name!r} not found")
        return copy.deepcopy(self.config)

    async def get_secret(self, namespace: str, name: str) -> tuple[dict[str, str], str]:
        self.reads.append(f"Secret/{name}")
        meta = self.secret["metadata"]
        data = {k: base64.b64decode(v).decode() for k, v in self.secret["data"].items()}
        return data, f"{meta['uid']}/{meta['resourceVersion']}"


@pytest.fixture()
def world() -> tuple[OperatorContext, CountingKube, WatchedCopies]:
    kube = CountingKube()
    providers = ProviderRegistry(allowed=["http://127.0.0.1:9"])
    ctx = OperatorContext(kube=kube, providers=providers, watch_cache=WatchCache())  # type: ignore[arg-type]
    copies = ctx.copies = WatchedCopies()
    return ctx, kube, copies


def watched(copies: WatchedCopies, kube: CountingKube, event: str = "ADDED") -> None:
    """The watch streams delivered both objects as they are now."""
    copies.config_event(event, kube.config)
    labels: Mapping[str, Any] = kube.secret["metadata"].get("labels") or {}
    copies.secret_event(event, kube.secret, kept="cloudnet.dev/in-use" in labels)


async def resolve(ctx: OperatorContext, *, fresh: bool = False) -> tuple[Any, str]:
    return await Resolver(ctx, fresh=fresh).provider(
        NS, "hw", expected="huawei-nat", needed_by="DnatRule"
    )


async def test_watched_objects_are_not_read_again(world: Any) -> None:
    ctx, kube, copies = world
    watched(copies, kube)
    for _ in range(5):
        provider, version = await resolve(ctx)
    assert kube.reads == []
    assert version == "pc-1/1:s-1/7"  # the same version a read would give
    from_api, api_version = await resolve(ctx, fresh=True)
    assert kube.reads == ["ProviderConfig/hw", "Secret/creds"]
    assert (from_api, api_version) == (provider, version)


async def test_a_change_is_seen_once_its_event_arrived(world: Any) -> None:
    ctx, kube, copies = world
    watched(copies, kube)
    first, _ = await resolve(ctx)
    kube.secret["data"]["accessKeySecret"] = b64("rotated" + SK)
    kube.secret["metadata"]["resourceVersion"] = "8"
    kube.config["spec"]["region"] = "cn-south-1"
    kube.config["metadata"]["generation"] = 2
    watched(copies, kube, "MODIFIED")
    second, version = await resolve(ctx)
    assert version == "pc-1/2:s-1/8"
    assert second is not first  # new credentials and region: a new client
    assert kube.reads == []


async def test_what_the_watch_does_not_hold_is_read(world: Any) -> None:
    ctx, kube, copies = world
    copies.config_event("ADDED", kube.config)
    await resolve(ctx)  # the Secret is not protected yet: the watch never saw it
    assert kube.reads == ["Secret/creds"]
    watched(copies, kube)
    kube.secret["metadata"]["labels"] = {}  # released: it leaves the watched selection
    watched(copies, kube, "MODIFIED")
    kube.reads.clear()
    await resolve(ctx)
    assert kube.reads == ["Secret/creds"]
    copies.config_event("DELETED", kube.config)
    kube.reads.clear()
    await resolve(ctx)
    assert kube.reads == ["ProviderConfig/hw", "Secret/creds"]


async def test_undecodable_data_is_refused_as_a_read_would_be(world: Any) -> None:
    ctx, kube, copies = world
    kube.secret["data"]["accessKeySecret"] = "%%% not base64"
    watched(copies, kube)
    with pytest.raises(ConfigError) as refused:
        await resolve(ctx)
    assert refused.value.error_class == ErrorClass.AUTH_FAILED
    assert "accessKeySecret" in refused.value.message
    assert "%%%" not in refused.value.message  # never the value
    assert kube.reads == []


async def test_copies_are_not_shared_with_the_caller(world: Any) -> None:
    _, kube, copies = world
    watched(copies, kube)
    body = copies.config(NS, "hw")
    assert body is not None
    body["spec"]["provider"] = "alibaba-ens"
    again = copies.config(NS, "hw")
    assert again is not None and again["spec"]["provider"] == "huawei-nat"


async def test_a_copy_older_than_a_fresh_read_is_not_used(world: Any) -> None:
    """After our own writes a handler reads fresh; the next pass must not step back."""
    ctx, kube, copies = world
    watched(copies, kube)
    kube.config["spec"]["region"] = "cn-south-1"  # changed; its event has not arrived
    kube.config["metadata"].update(generation=2, resourceVersion="4")
    kube.secret["metadata"]["resourceVersion"] = "8"
    _, fresh = await resolve(ctx, fresh=True)
    assert fresh == "pc-1/2:s-1/8"
    kube.reads.clear()
    _, version = await resolve(ctx)
    assert version == fresh, "not the older copy"
    assert kube.reads == ["ProviderConfig/hw", "Secret/creds"]
    watched(copies, kube, "MODIFIED")  # the watch caught up
    kube.reads.clear()
    _, version = await resolve(ctx)
    assert version == fresh and kube.reads == []


def test_resource_versions_compare_as_the_api_server_issues_them() -> None:
    from cloudnet.handlers.watch import _older

    assert _older("9", "10") and not _older("10", "9") and not _older("10", "10")
    assert _older("abc", "abd") and _older("abd", "abc"), "opaque: not trusted unless equal"
    assert not _older("x1", "x1")
