"""Batched drift checks: one periodic pass per operator, one paged listing per scope.

kopf's handlers fire only on Kubernetes changes, so an object changed or
deleted in the cloud would go unnoticed. A timer per object would cost a task
and a cloud call per object; instead one loop wakes every ``interval``
seconds, groups the known resources by (kind, namespace, ProviderConfig,
scope) and lists each scope once through the provider's ``observe_many``.
Only resources whose cloud object is gone, changed state, or drifted are
woken (:class:`~cloudnet.handlers.watch.Waker`): the correction then runs on
a fresh read under the per-resource lock, so a resource whose deletion
started meanwhile is never created or corrected again.

A pass cannot be stopped by one object: each resource's preparation and
comparison, and each scope's listing, fails on its own. ProviderConfigs and
Secrets are read once per pass per name. Passes never overlap: the next one
starts ``interval`` seconds after the previous one started, or at once if a
pass took longer than that.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cloudnet.api.errors import CloudException
from cloudnet.core.reconciler import PENDING, ConfigError
from cloudnet.core.resource import ANN_PAUSED
from cloudnet.handlers.common import Kind, Resolver, provider_config_ref
from cloudnet.handlers.context import OperatorContext
from cloudnet.handlers.watch import WatchCache

logger = logging.getLogger(__name__)

#: Seconds between drift checks; `cloudnet run --drift-interval` overrides it.
DEFAULT_INTERVAL = 60.0
#: A PENDING_* status older than this has no handler polling it any more.
STALE_PENDING = 120.0


def _age(stamp: Any) -> float | None:
    """Seconds since an RFC 3339 time; None when it is not one (any zone, or none: UTC)."""
    try:
        since = datetime.datetime.fromisoformat(str(stamp))
    except ValueError:
        return None
    if since.tzinfo is None:
        since = since.replace(tzinfo=datetime.UTC)
    return (datetime.datetime.now(datetime.UTC) - since).total_seconds()


def _stale(status: Mapping[str, Any]) -> bool:
    conditions = status.get("conditions")
    ready: Mapping[str, Any] = next(
        (
            c
            for c in (conditions if isinstance(conditions, list) else [])
            if isinstance(c, Mapping) and c.get("type") == "Ready"
        ),
        {},
    )
    age = _age(ready.get("lastTransitionTime"))
    return age is None or age > STALE_PENDING


def _checkable(body: Mapping[str, Any]) -> bool:
    meta, status = body.get("metadata"), body.get("status")
    if not isinstance(meta, Mapping) or not isinstance(status, Mapping):
        return False
    annotations = meta.get("annotations")
    if meta.get("deletionTimestamp") or (
        isinstance(annotations, Mapping) and annotations.get(ANN_PAUSED) == "true"
    ):
        return False
    if not status.get("externalId") or status.get("phase") == "ERROR":
        return False  # not created yet, or waiting for the user: the handlers own it
    if status.get("phase") in PENDING and not _stale(status):
        return False  # a handler is polling this PENDING_* state right now
    return bool(status.get("observedGeneration") == meta.get("generation"))


@dataclass
class PassStats:
    """What the last pass did, for logs, tests and benchmarks."""

    started: float = 0.0
    duration: float = 0.0
    passes: int = 0
    scopes: int = 0
    resources: int = 0
    woken: int = 0
    failed: int = 0


def _differs(observation: Any, status: Mapping[str, Any]) -> bool:
    return not (
        observation.exists
        and observation.up_to_date
        and observation.phase == status.get("phase")
        and not status.get("drift")
    )


async def check_once(
    ctx: OperatorContext, cache: WatchCache, kinds: Mapping[str, Kind]
) -> PassStats:
    """One pass over every scope."""
    stats = PassStats(started=time.monotonic())
    resolver = Resolver(ctx)
    groups: dict[tuple[str, ...], dict[str, tuple[Any, dict[str, Any]]]] = defaultdict(dict)
    providers: dict[tuple[str, ...], Any] = {}
    for body in list(cache.bodies.values()):
        try:
            kind = kinds.get(str(body.get("kind")))
            if kind is None or not _checkable(body):
                continue
            ready = await kind.prepare(ctx, body, resolver)
            key: tuple[str, ...] = (
                kind.name,
                str(body["metadata"]["namespace"]),
                str(provider_config_ref(body)),
                str(ready.provider.scope(ready.spec)),
            )
            providers[key] = ready.provider
            groups[key][str(body["status"]["externalId"])] = (ready.spec, body)
        except ConfigError as exc:
            # A restart does not resume settled resources: a ProviderConfig or Secret
            # broken meanwhile is reported through this wake-up (the handler sets ERROR).
            if not exc.error_class.retryable_soon:
                stats.woken += 1
                meta = body["metadata"]
                ctx.wake(str(body.get("kind")), str(meta["namespace"]), str(meta["name"]), "config")
            continue
        except Exception:
            stats.failed += 1
            logger.exception("drift check: skipping one resource")
    for key, members in groups.items():
        stats.scopes += 1
        stats.resources += len(members)
        try:
            observations = await providers[key].observe_many(
                key[3], {ext: spec for ext, (spec, _) in members.items()}
            )
        except CloudException as exc:
            logger.warning("drift check of scope %s failed: %s: %s", key[3], exc.code, exc)
            if not exc.error_class.retryable_soon:
                # Refused credentials or a scope gone: each resource reports it itself.
                for _, body in members.values():
                    stats.woken += 1
                    meta = body["metadata"]
                    ctx.wake(key[0], str(meta["namespace"]), str(meta["name"]), exc.code)
            continue
        except Exception:
            stats.failed += 1
            logger.exception("drift check of scope %s failed", key[3])
            continue
        for external_id, observation in observations.items():
            if external_id not in members:
                continue
            _, body = members[external_id]
            try:
                if not _differs(observation, body.get("status") or {}):
                    continue
                meta = body["metadata"]
                logger.info(
                    "drift in %s %s/%s: %s",
                    key[0],
                    meta["namespace"],
                    meta["name"],
                    "cloud object gone"
                    if not observation.exists
                    else ", ".join(observation.delta.paths) or f"phase {observation.phase}",
                )
                stats.woken += 1
                ctx.metrics.drifted(key[0], str(meta["namespace"]), str(meta["name"]))
                ctx.wake(key[0], str(meta["namespace"]), str(meta["name"]), "drift")
            except Exception:
                stats.failed += 1
                logger.exception("drift check: skipping one resource")
    stats.duration = time.monotonic() - stats.started
    return stats


async def drift_loop(
    ctx: OperatorContext,
    cache: WatchCache,
    kinds: Mapping[str, Kind],
    interval: float,
    record: list[PassStats] | None = None,
) -> None:
    """Passes one after the other: a slow pass delays the next, it never runs beside it."""
    passes, last = 0, 0.0
    while True:
        await asyncio.sleep(max(0.0, interval - last))
        try:
            stats = await check_once(ctx, cache, kinds)
        except asyncio.CancelledError:
            raise
        except Exception:  # the loop must outlive any one bad pass
            logger.exception("drift check failed")
            continue
        passes += 1
        stats.passes, last = passes, stats.duration
        ctx.metrics.drift_pass(stats.duration)
        if record is not None:
            record[:] = [stats]
        level = logging.WARNING if stats.duration > interval else logging.DEBUG
        logger.log(
            level,
            "drift pass %d: %d scope(s), %d resource(s), %d woken, %d failed, %.2f s",
            passes,
            stats.scopes,
            stats.resources,
            stats.woken,
            stats.failed,
            stats.duration,
        )
