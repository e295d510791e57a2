"""Batched drift checks: one periodic task per operator, one list call per scope.

kopf's create/update handlers fire only on Kubernetes changes, so a rule
changed or deleted in the cloud would go unnoticed. A timer per object would
cost a task and a cloud call per object (shared/TESTING.md); instead one
loop wakes every ``interval`` seconds, groups the known DnatRules by
(namespace, ProviderConfig, scope) — a scope is a NAT gateway — and lists
each scope once through the provider's paged ``observe_many``. Only resources
whose cloud object is gone, changed state, or drifted from the spec are
reconciled (under the same per-resource lock as the handlers); the others
cost nothing beyond their share of the list call.

The set of known resources is a watch cache fed by a kopf event handler.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import kopf

from cloudnet.clouds.errors import CloudError, CloudTransportError
from cloudnet.handlers.common import Kind, reconcile_body
from cloudnet.handlers.context import OperatorContext
from cloudnet.reconcile import ANN_PAUSED, MAX_PENDING_POLL, PENDING, ConfigError

logger = logging.getLogger(__name__)

#: Seconds between drift checks; `cloudnet run --drift-interval` overrides it.
DEFAULT_INTERVAL = 60.0
#: Polls of a corrected resource while the cloud reports PENDING_* (about a minute in all).
SETTLE_ATTEMPTS = 12
#: A PENDING_* status older than this has no handler polling it any more.
STALE_PENDING = 120.0


def _stale(status: Mapping[str, Any]) -> bool:
    ready: Mapping[str, Any] = next(
        (c for c in status.get("conditions") or [] if c.get("type") == "Ready"), {}
    )
    try:
        since = datetime.datetime.fromisoformat(str(ready.get("lastTransitionTime")))
    except ValueError:
        return True
    age = datetime.datetime.now(datetime.UTC) - since
    return age.total_seconds() > STALE_PENDING


class WatchCache:
    """The latest body of every DnatRule, by uid, kept from the watch stream."""

    def __init__(self) -> None:
        self.bodies: dict[str, dict[str, Any]] = {}
        #: uid -> the task correcting that resource, so passes do not pile up on it
        self.settling: dict[str, asyncio.Task[None]] = {}

    def update(self, event_type: str | None, body: Mapping[str, Any]) -> None:
        uid = str(body.get("metadata", {}).get("uid", ""))
        if not uid:
            return
        if event_type == "DELETED":
            self.bodies.pop(uid, None)
        else:
            self.bodies[uid] = dict(body)


def _checkable(body: Mapping[str, Any]) -> bool:
    meta, status = body.get("metadata", {}), body.get("status") or {}
    if meta.get("deletionTimestamp") or (meta.get("annotations") or {}).get(ANN_PAUSED) == "true":
        return False
    if not status.get("externalId") or status.get("phase") == "ERROR":
        return False  # not created yet, or waiting for the user: the handlers own it
    if status.get("phase") in PENDING and not _stale(status):
        return False  # a handler is polling this PENDING_* state right now
    return bool(status.get("observedGeneration") == meta.get("generation"))


async def check_once(
    ctx: OperatorContext, cache: WatchCache, kinds: Mapping[str, Kind]
) -> dict[str, int]:
    """One pass over every scope; returns counters for logs and tests."""
    groups: dict[tuple[str, ...], dict[str, tuple[Any, dict[str, Any]]]] = defaultdict(dict)
    providers: dict[tuple[str, ...], Any] = {}
    counters = {"scopes": 0, "resources": 0, "reconciled": 0}
    for body in list(cache.bodies.values()):
        kind = kinds.get(str(body.get("kind")))
        if kind is None or not _checkable(body) or body["metadata"]["uid"] in cache.settling:
            continue
        try:
            ready = await kind.prepare(ctx, body)
        except ConfigError:
            continue  # the handlers report it on their next run
        key: tuple[str, ...] = (
            kind.name,
            str(body["metadata"]["namespace"]),
            str(body["spec"]["providerConfigRef"]["name"]),
            str(ready.provider.scope(ready.spec)),
        )
        providers[key] = ready.provider
        groups[key][str(body["status"]["externalId"])] = (ready.spec, body)
    for key, members in groups.items():
        counters["scopes"] += 1
        counters["resources"] += len(members)
        try:
            observations = await providers[key].observe_many(
                key[3], {ext: block for ext, (block, _) in members.items()}
            )
        except (CloudError, CloudTransportError) as exc:
            logger.warning("drift check of scope %s failed: %s", key[3], exc)
            continue
        for external_id, observation in observations.items():
            _, body = members[external_id]
            status = body.get("status") or {}
            if (
                observation.exists
                and observation.up_to_date
                and observation.phase == status.get("phase")
                and not status.get("drift")
            ):
                continue
            counters["reconciled"] += 1
            logger.info(
                "drift in %s/%s: %s",
                body["metadata"]["namespace"],
                body["metadata"]["name"],
                "cloud object gone"
                if not observation.exists
                else ", ".join(d.path for d in observation.drift) or f"phase {observation.phase}",
            )
            uid = str(body["metadata"]["uid"])
            if uid not in cache.settling:
                cache.settling[uid] = asyncio.create_task(_settle(ctx, cache, kinds[key[0]], body))
    return counters


async def _settle(
    ctx: OperatorContext, cache: WatchCache, kind: Kind, body: Mapping[str, Any]
) -> None:
    """Correct one resource and follow it until the cloud settles, as the handlers would."""
    try:
        for attempt in range(SETTLE_ATTEMPTS):
            try:
                await reconcile_body(ctx, kind, body, attempt=attempt, drift=True)
                return
            except kopf.TemporaryError as exc:
                if exc.delay is None or exc.delay > MAX_PENDING_POLL:
                    return  # a long wait: the next pass (or the handlers) takes it from here
                await asyncio.sleep(exc.delay)
            except kopf.PermanentError:
                return
    finally:
        cache.settling.pop(str(body["metadata"]["uid"]), None)


async def drift_loop(
    ctx: OperatorContext, cache: WatchCache, kinds: Mapping[str, Kind], interval: float
) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            counters = await check_once(ctx, cache, kinds)
            if counters["scopes"]:
                logger.debug("drift check: %s", counters)
        except asyncio.CancelledError:
            raise
        except Exception:  # the loop must outlive any one bad pass
            logger.exception("drift check failed")
