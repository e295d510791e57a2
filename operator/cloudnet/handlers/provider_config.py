"""ProviderConfigs and their Secrets: protected while in use, and their changes acted on.

**Protection.** A DnatRule or NetworkInterfaceConfig needs its ProviderConfig
and the Secret it names until its cloud object is gone: the delete path
calls the cloud with those credentials, and never releases a resource
without proof. So, the way Kubernetes protects a PersistentVolumeClaim in
use, a ProviderConfig that has users carries the finalizer
``cloudnet.dev/in-use`` and lists them in ``status.users``, and the Secret
it names carries the same finalizer (and the label ``cloudnet.dev/in-use``,
by which the operator watches only such Secrets). Deleting everything at
once (``kubectl delete namespace``) then completes in order: the resources
delete their cloud objects, then the ProviderConfig goes, then the Secret.

A *user* is an object of our kinds in the same namespace that names the
ProviderConfig and is not fully gone, deleting ones included, unless its
own finalizer is already released (it will never call the cloud again).

Two rules make the protection hold under any interleaving (everything below
runs in one event loop, and each namespace's decisions under one lock):

* *release only on a live count*: the users come from the watch stream,
  but a finalizer is removed only after a list from the API server, under
  the namespace lock, finds none;
* *protect before the first cloud write*: the core calls
  :meth:`Protection.ensure` (``ctx.protect``) before it may write to the
  cloud, under the same lock. A resource with nothing in the cloud yet is
  refused (DependencyNotFound) when its ProviderConfig or Secret is being
  deleted, and otherwise protects them first if they are not already. A
  resource created after a release's list therefore either sees the
  ProviderConfig deleting and makes nothing, or protects it again.

**Changes.** A change of a ProviderConfig's ``spec`` or of its Secret's
``data``, and a ProviderConfig or Secret appearing after its users looked
for it, wake every user (``ctx.wake``), so a fix takes effect in seconds. A
Secret that is not labelled is not watched: while users wait for a missing
Secret, the operator looks for it every :data:`MISSING_SECRET_POLL` seconds.

Only ``on.event`` handlers are registered for ProviderConfigs and Secrets:
kopf then adds no finalizer and stores no annotations on them (a diff-base
annotation on a Secret would copy its data).
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import kopf

from cloudnet.api.common import GROUP, VERSION
from cloudnet.api.errors import ErrorClass
from cloudnet.api.provider_config import MAX_LISTED_USERS
from cloudnet.catalog import DNAT_RULE, OWN_KINDS
from cloudnet.core.outcome import backoff
from cloudnet.core.reconciler import ConfigError
from cloudnet.core.resource import ANN_CREATE_PENDING, FINALIZER, KubeError
from cloudnet.handlers.common import provider_config_ref
from cloudnet.handlers.context import OperatorContext
from cloudnet.handlers.credentials import CredentialCheck, ready_of
from cloudnet.handlers.kube_client import KubeRefused
from cloudnet.handlers.watch import WatchedCopies

logger = logging.getLogger(__name__)

#: The finalizer on a ProviderConfig in use and on the Secret it names.
IN_USE_FINALIZER = "cloudnet.dev/in-use"
#: The label on a protected Secret; the operator watches only Secrets that carry it.
IN_USE_LABEL = "cloudnet.dev/in-use"
#: The kinds whose objects use ProviderConfigs, with their plurals.
USER_KINDS = {DNAT_RULE.kind: DNAT_RULE.plural} | {
    name: own.plural for name, (_, own) in OWN_KINDS.items()
}
#: Events of one namespace within this many seconds are handled by one pass.
SYNC_DELAY = 0.2
#: How often a Secret that users wait for, and that is not watched, is looked for.
MISSING_SECRET_POLL = 2.0
#: Attempts of a read-modify-write of finalizers against concurrent writers.
WRITE_ATTEMPTS = 5

Key = tuple[str, str]  # (namespace, name)


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _digest(value: Any) -> str:
    """A stable fingerprint: what changed is noticed; a Secret's values are not kept."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _finalizers(meta: Mapping[str, Any]) -> list[str]:
    raw = meta.get("finalizers")
    return [str(f) for f in raw] if isinstance(raw, list) else []


def _secret_name(body: Mapping[str, Any]) -> str | None:
    ref = _mapping(_mapping(body.get("spec")).get("credentialsSecretRef")).get("name")
    return ref if isinstance(ref, str) and ref else None


def is_user(body: Mapping[str, Any]) -> bool:
    """Whether an object still needs its ProviderConfig: it exists and has not been released."""
    meta = _mapping(body.get("metadata"))
    return not (meta.get("deletionTimestamp") and FINALIZER not in _finalizers(meta))


@dataclass
class ConfigInfo:
    """What the watch stream last said about one ProviderConfig."""

    uid: str
    secret: str | None
    spec: str  # digest
    finalizers: tuple[str, ...]
    deleting: bool
    #: the InUse condition and users as the status holds them (to write only changes)
    condition: dict[str, Any]
    written: tuple[Any, ...] | None
    #: the Ready condition and checkedWith as the status holds them (kept by every write)
    ready: dict[str, Any] = field(default_factory=dict)
    checked_with: str | None = None


@dataclass
class SecretInfo:
    """What the watch stream last said about one protected Secret."""

    uid: str
    data: str  # digest, never the values
    finalizers: tuple[str, ...]
    deleting: bool


@dataclass(frozen=True)
class Held:
    """The outcome of protecting one object."""

    found: bool
    deleting: bool = False
    protected: bool = False
    secret: str | None = None  # for a ProviderConfig: the Secret it names


@dataclass
class Live:
    """A namespace as the API server lists it now: users per ProviderConfig, their Secrets."""

    users: dict[str, list[str]] = field(default_factory=dict)
    secrets: dict[str, str | None] = field(default_factory=dict)  # ProviderConfig -> Secret

    def secret_in_use(self, secret: str) -> bool:
        return any(self.users.get(pc) for pc, name in self.secrets.items() if name == secret)


def _in_use_condition(
    users: list[str], deleting: bool, previous: Mapping[str, Any]
) -> dict[str, Any]:
    count = len(users)
    shown = ", ".join(users[:5]) + (", ..." if count > 5 else "")
    if users and deleting:
        status, reason = "True", "InUse"
        message = f"deletion waits for {count} resource(s) that use it: {shown}"
    elif users:
        status, reason = "True", "InUse"
        message = (
            f"used by {count} resource(s): {shown}; it and its Secret cannot be deleted "
            "until none is left"
        )
    else:
        status, reason, message = "False", "NotInUse", "no resource uses this ProviderConfig"
    since = previous.get("lastTransitionTime")
    if previous.get("status") != status or not since:
        since = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "type": "InUse",
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": since,
    }


def _status_key(status: Mapping[str, Any]) -> tuple[Any, ...]:
    """What a status write would change (the transition time aside)."""
    conditions = status.get("conditions")
    cond = next(
        (
            c
            for c in (conditions if isinstance(conditions, list) else [])
            if isinstance(c, Mapping) and c.get("type") == "InUse"
        ),
        {},
    )
    users = status.get("users")
    ready = ready_of(status)
    return (
        tuple(users) if isinstance(users, list) else (),
        status.get("userCount"),
        cond.get("status"),
        cond.get("reason"),
        cond.get("message"),
        ready.get("status"),
        ready.get("reason"),
        ready.get("message"),
        status.get("checkedWith"),
    )


class Protection:
    """The in-use protection of ProviderConfigs and Secrets, and the wake-ups on their changes."""

    def __init__(self, ctx: OperatorContext) -> None:
        self.ctx = ctx
        self.configs: dict[Key, ConfigInfo] = {}
        self.secrets: dict[Key, SecretInfo] = {}
        #: (namespace, ProviderConfig) -> {"Kind/name": uid} of its users, from the watch stream
        self.users: dict[Key, dict[str, str]] = {}
        self._user_of: dict[str, tuple[str, str, str]] = {}  # uid -> (namespace, pc, Kind/name)
        #: objects known to carry the finalizer: only our own writes and fresh reads add here
        #: (a watch event may be older than our last write), any event may remove
        self.protected_configs: set[Key] = set()
        self.protected_secrets: set[Key] = set()
        #: Secrets that an in-use ProviderConfig names and that were not found
        self.missing_secrets: set[Key] = set()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
        self._pollers: dict[Key, asyncio.Task[None]] = {}
        #: the Ready condition's source (``register`` installs it)
        self.checker: CredentialCheck | None = None
        #: the users each ProviderConfig's status last listed (a live count may differ)
        self._shown_users: dict[Key, list[str]] = {}
        #: one status write at a time per ProviderConfig: each carries every condition
        self._status_locks: dict[Key, asyncio.Lock] = {}

    def _lock(self, namespace: str) -> Any:
        return self.ctx.locks.hold(f"protection/{namespace}")

    # ---- the watch streams

    def user_event(self, kind: str, event_type: str | None, body: Mapping[str, Any]) -> None:
        """A DnatRule / NetworkInterfaceConfig event: keep the users index, sync on changes."""
        meta = _mapping(body.get("metadata"))
        uid = str(meta.get("uid") or "")
        if not uid:
            return
        namespace = str(meta.get("namespace") or "")
        ref = provider_config_ref(body)
        current = None
        if event_type != "DELETED" and ref is not None and is_user(body):
            current = (namespace, ref, f"{kind}/{meta.get('name')}")
        previous = self._user_of.get(uid)
        if previous == current:
            return
        if previous is not None:
            members = self.users.get(previous[:2], {})
            members.pop(previous[2], None)
            if not members:
                self.users.pop(previous[:2], None)
            self._user_of.pop(uid, None)
            self.request_sync(previous[0])
        if current is not None:
            self.users.setdefault(current[:2], {})[current[2]] = uid
            self._user_of[uid] = current
            self.request_sync(namespace)

    def config_event(self, event_type: str | None, body: Mapping[str, Any]) -> None:
        meta = _mapping(body.get("metadata"))
        key = (str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        previous = self.configs.get(key)
        if event_type == "DELETED":
            self.configs.pop(key, None)
            self.protected_configs.discard(key)
            self._shown_users.pop(key, None)
            self._status_locks.pop(key, None)
            if self.checker is not None:
                self.checker.forget(*key)
            self.request_sync(key[0])  # its Secret may be free now
            return
        status = _mapping(body.get("status"))
        conditions = status.get("conditions")
        info = ConfigInfo(
            uid=str(meta.get("uid") or ""),
            secret=_secret_name(body),
            spec=_digest(body.get("spec")),
            finalizers=tuple(_finalizers(meta)),
            deleting=bool(meta.get("deletionTimestamp")),
            condition=next(
                (
                    dict(c)
                    for c in (conditions if isinstance(conditions, list) else [])
                    if isinstance(c, Mapping) and c.get("type") == "InUse"
                ),
                {},
            ),
            written=_status_key(status) if status else None,
            ready=ready_of(status),
            checked_with=status.get("checkedWith"),
        )
        if previous is not None and previous.uid == info.uid and previous.deleting:
            info.deleting = True  # a deletion never ends but by DELETED (the event may be stale)
        self.configs[key] = info
        if IN_USE_FINALIZER not in info.finalizers:
            self.protected_configs.discard(key)
        if previous is None:
            if event_type == "ADDED":  # created while we watch: its users may be waiting for it
                self._wake_config_users(key, f"ProviderConfig {key[1]} created")
            self.request_sync(key[0])
            self._check(key)
            return
        if previous.uid != info.uid or previous.spec != info.spec:
            self._wake_config_users(key, f"ProviderConfig {key[1]} changed")
            self._check(key)
        if (previous.uid, previous.secret, previous.finalizers, previous.deleting) != (
            info.uid,
            info.secret,
            info.finalizers,
            info.deleting,
        ):
            self.request_sync(key[0])

    def secret_event(self, event_type: str | None, body: Mapping[str, Any]) -> None:
        meta = _mapping(body.get("metadata"))
        key = (str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        labels = _mapping(meta.get("labels"))
        previous = self.secrets.get(key)
        if event_type == "DELETED" or IN_USE_LABEL not in labels:
            # gone, or out of the watched selection (we released it)
            self.secrets.pop(key, None)
            self.protected_secrets.discard(key)
            self.request_sync(key[0])
            return
        info = SecretInfo(
            uid=str(meta.get("uid") or ""),
            data=_digest(body.get("data")),
            finalizers=tuple(_finalizers(meta)),
            deleting=bool(meta.get("deletionTimestamp")),
        )
        if previous is not None and previous.uid == info.uid and previous.deleting:
            info.deleting = True
        self.secrets[key] = info
        if IN_USE_FINALIZER not in info.finalizers:
            self.protected_secrets.discard(key)
        if key in self.missing_secrets:
            self.missing_secrets.discard(key)
            self._wake_secret_users(key, f"Secret {key[1]} created")
        elif previous is not None and (previous.uid, previous.data) != (info.uid, info.data):
            self._wake_secret_users(key, f"Secret {key[1]} changed")
        if previous is None or (previous.uid, previous.data) != (info.uid, info.data):
            # Watched from now on, or changed: the check compares versions (no cloud call
            # when the one it judged is unchanged but for our label and finalizer).
            for pc in self._configs_naming(key):
                self._check((key[0], pc))
        if previous is None or (previous.finalizers, previous.deleting) != (
            info.finalizers,
            info.deleting,
        ):
            self.request_sync(key[0])

    def _check(self, key: Key) -> None:
        if self.checker is not None:
            self.checker.request(*key)

    def watched_secret(self, namespace: str, name: str) -> bool:
        """Whether this Secret's changes reach us through the watch (it is labelled in use)."""
        return (namespace, name) in self.secrets

    def _wake_config_users(self, key: Key, why: str) -> None:
        for kind, namespace, name in self.ctx.watch_cache.users_of(*key):
            self.ctx.wake(kind, namespace, name, why)

    def _configs_naming(self, key: Key) -> set[str]:
        """The ProviderConfigs that name this Secret (namespace, name)."""
        return {pc for (ns, pc), info in self.configs.items() if (ns, info.secret) == key}

    def _wake_secret_users(self, key: Key, why: str) -> None:
        for pc in self._configs_naming(key):
            self._wake_config_users((key[0], pc), why)

    def _wake_failed_secret_users(self, key: Key, why: str) -> None:
        """Wake the users in ERROR (one pass over the watch cache): they may wait for it."""
        configs = self._configs_naming(key)
        cache = self.ctx.watch_cache
        for uid, body in list(cache.bodies.items()):
            meta = _mapping(body.get("metadata"))
            if (
                meta.get("namespace") == key[0]
                and provider_config_ref(body) in configs
                and _mapping(body.get("status")).get("phase") == "ERROR"
            ):
                self.ctx.wake(cache.kinds.get(uid, ""), key[0], str(meta.get("name")), why)

    # ---- the guard before cloud writes

    async def ensure(self, body: Mapping[str, Any]) -> bool:
        """Make sure the ProviderConfig and Secret a resource uses are protected, or refuse.

        Called by the core's callers after the ProviderConfig and Secret were
        read and before any cloud call; True when it had to look or write (the
        caller then reads them again: the versions the InvalidSpec memo is
        keyed on may have moved). Costs nothing when both are known to be
        protected. A resource with nothing in the cloud yet (no external id, no
        create-pending mark) is refused while either is being deleted.
        """
        meta = _mapping(body.get("metadata"))
        namespace, ref = str(meta.get("namespace") or ""), provider_config_ref(body)
        if ref is None or meta.get("deletionTimestamp"):
            return False
        annotations = _mapping(meta.get("annotations"))
        new = not _mapping(body.get("status")).get("externalId") and (
            ANN_CREATE_PENDING not in annotations
        )
        key = (namespace, ref)
        async with self._lock(namespace):
            info = self.configs.get(key)
            secret = info.secret if info else None
            if (
                info is not None
                and key in self.protected_configs
                # no Secret (credentialsSource RRSA): only the ProviderConfig to protect
                and (secret is None or (namespace, secret) in self.protected_secrets)
            ):
                secret_info = self.secrets.get((namespace, secret)) if secret else None
                deleting = info.deleting or bool(secret_info and secret_info.deleting)
                if not (new and deleting):
                    return False
            try:
                held = await self._protect_config(namespace, ref)
                if not held.found:
                    raise ConfigError(
                        ErrorClass.DEPENDENCY_NOT_FOUND,
                        f"ProviderConfig {ref!r} not found in namespace {namespace!r}",
                    )
                if new and held.deleting:
                    raise ConfigError(
                        ErrorClass.DEPENDENCY_NOT_FOUND,
                        f"ProviderConfig {ref!r} is being deleted: no new cloud object is made "
                        "with it",
                    )
                if held.secret is None:
                    return True  # RRSA: no Secret (the Resolver refuses it elsewhere)
                secret_held = await self._protect_secret(namespace, held.secret)
                if not secret_held.found:
                    raise ConfigError(
                        ErrorClass.DEPENDENCY_NOT_FOUND,
                        f"Secret {held.secret!r} not found in namespace {namespace!r}",
                    )
                if new and secret_held.deleting:
                    raise ConfigError(
                        ErrorClass.DEPENDENCY_NOT_FOUND,
                        f"Secret {held.secret!r} is being deleted: no new cloud object is made "
                        "with it",
                    )
            except KubeError as exc:
                message = f"could not protect ProviderConfig {ref!r} and its Secret: {exc}"
                if new:  # no first cloud write without the protection
                    raise ConfigError(ErrorClass.TRANSIENT, message) from None
                # Its cloud object exists either way; the namespace pass tries again.
                logger.warning("%s/%s: %s", namespace, meta.get("name"), message)
        self.request_sync(namespace)
        return True

    # ---- finalizer writes (callers hold the namespace lock)

    async def _protect_config(self, namespace: str, name: str) -> Held:
        key = (namespace, name)
        for _ in range(WRITE_ATTEMPTS):
            body = await self.ctx.kube.get_object("ProviderConfig", namespace, name)
            if body is None:
                self.protected_configs.discard(key)
                return Held(found=False)
            meta = _mapping(body.get("metadata"))
            finalizers, deleting = _finalizers(meta), bool(meta.get("deletionTimestamp"))
            secret = _secret_name(body)
            if IN_USE_FINALIZER in finalizers:
                self.protected_configs.add(key)
                return Held(found=True, deleting=deleting, protected=True, secret=secret)
            if deleting:  # no finalizer can be added any more
                return Held(found=True, deleting=True, secret=secret)
            try:
                await self.ctx.kube.patch_object_metadata(
                    "ProviderConfig",
                    namespace,
                    name,
                    {
                        "resourceVersion": meta.get("resourceVersion"),
                        "finalizers": [*finalizers, IN_USE_FINALIZER],
                    },
                )
            except KubeRefused:
                continue  # changed meanwhile: read again
            self.protected_configs.add(key)
            logger.info("ProviderConfig %s/%s is in use: protected", namespace, name)
            return Held(found=True, protected=True, secret=secret)
        raise KubeError(f"ProviderConfig {namespace}/{name} kept changing")

    async def _release_config(self, namespace: str, name: str) -> None:
        key = (namespace, name)
        for _ in range(WRITE_ATTEMPTS):
            body = await self.ctx.kube.get_object("ProviderConfig", namespace, name)
            meta = _mapping((body or {}).get("metadata"))
            finalizers = _finalizers(meta)
            if body is None or IN_USE_FINALIZER not in finalizers:
                self.protected_configs.discard(key)
                return
            try:
                await self.ctx.kube.patch_object_metadata(
                    "ProviderConfig",
                    namespace,
                    name,
                    {
                        "resourceVersion": meta.get("resourceVersion"),
                        "finalizers": [f for f in finalizers if f != IN_USE_FINALIZER],
                    },
                )
            except KubeRefused:
                continue
            self.protected_configs.discard(key)
            logger.info("ProviderConfig %s/%s is no longer in use: released", namespace, name)
            return
        raise KubeError(f"ProviderConfig {namespace}/{name} kept changing")

    async def _protect_secret(self, namespace: str, name: str) -> Held:
        key = (namespace, name)
        for _ in range(WRITE_ATTEMPTS):
            meta = await self.ctx.kube.get_secret_metadata(namespace, name)
            if meta is None:
                self.protected_secrets.discard(key)
                self._missing(key)
                return Held(found=False)
            self.missing_secrets.discard(key)
            finalizers, deleting = _finalizers(meta), bool(meta.get("deletionTimestamp"))
            labelled = IN_USE_LABEL in _mapping(meta.get("labels"))
            if IN_USE_FINALIZER in finalizers and labelled:
                self.protected_secrets.add(key)
                return Held(found=True, deleting=deleting, protected=True)
            if deleting and IN_USE_FINALIZER not in finalizers:
                return Held(found=True, deleting=True)
            patch: dict[str, Any] = {
                "resourceVersion": meta.get("resourceVersion"),
                "labels": {IN_USE_LABEL: "true"},
            }
            if IN_USE_FINALIZER not in finalizers:
                patch["finalizers"] = [*finalizers, IN_USE_FINALIZER]
            try:
                await self.ctx.kube.patch_secret_metadata(namespace, name, patch)
            except KubeRefused:
                continue
            self.protected_secrets.add(key)
            logger.info("Secret %s/%s is in use: protected", namespace, name)
            # Not watched until now: it may have been created after its users looked for it.
            self._wake_failed_secret_users(key, f"Secret {name} found")
            return Held(found=True, deleting=deleting, protected=True)
        raise KubeError(f"Secret {namespace}/{name} kept changing")

    async def _release_secret(self, namespace: str, name: str) -> None:
        key = (namespace, name)
        for _ in range(WRITE_ATTEMPTS):
            meta = await self.ctx.kube.get_secret_metadata(namespace, name)
            if meta is None:
                self.protected_secrets.discard(key)
                return
            finalizers = _finalizers(meta)
            labelled = IN_USE_LABEL in _mapping(meta.get("labels"))
            if IN_USE_FINALIZER not in finalizers and not labelled:
                self.protected_secrets.discard(key)
                return
            patch: dict[str, Any] = {
                "resourceVersion": meta.get("resourceVersion"),
                "finalizers": [f for f in finalizers if f != IN_USE_FINALIZER],
            }
            if labelled:
                patch["labels"] = {IN_USE_LABEL: None}
            try:
                await self.ctx.kube.patch_secret_metadata(namespace, name, patch)
            except KubeRefused:
                continue
            self.protected_secrets.discard(key)
            logger.info("Secret %s/%s is no longer in use: released", namespace, name)
            return
        raise KubeError(f"Secret {namespace}/{name} kept changing")

    async def _live(self, namespace: str) -> Live:
        """Users and ProviderConfigs as the API server lists them now (no cache)."""
        live = Live()
        for kind in USER_KINDS:
            for body in await self.ctx.kube.list_objects(kind, namespace):
                ref = provider_config_ref(body)
                if ref is not None and is_user(body):
                    name = _mapping(body.get("metadata")).get("name")
                    live.users.setdefault(ref, []).append(f"{kind}/{name}")
        for body in await self.ctx.kube.list_objects("ProviderConfig", namespace):
            live.secrets[str(_mapping(body.get("metadata")).get("name"))] = _secret_name(body)
        for users in live.users.values():
            users.sort()
        return live

    # ---- one namespace at a time

    def request_sync(self, namespace: str) -> None:
        """Bring a namespace's protections and ProviderConfig statuses in line, soon."""
        if namespace in self._tasks:
            self._again.add(namespace)
            return
        self._tasks[namespace] = asyncio.get_running_loop().create_task(self._follow(namespace))

    async def _follow(self, namespace: str) -> None:
        attempt = 0
        try:
            while True:
                await asyncio.sleep(SYNC_DELAY)
                self._again.discard(namespace)
                try:
                    await self.sync(namespace)
                    attempt = 0
                except Exception as exc:
                    level = logging.WARNING if isinstance(exc, KubeError) else logging.ERROR
                    logger.log(
                        level,
                        "in-use protection of namespace %s failed (retrying): %s",
                        namespace,
                        exc,
                        exc_info=not isinstance(exc, KubeError),
                    )
                    self._again.add(namespace)
                    await asyncio.sleep(backoff(attempt, base=1.0, cap=30.0))
                    attempt += 1
                if namespace not in self._again:
                    return
        finally:
            self._tasks.pop(namespace, None)

    async def sync(self, namespace: str) -> None:
        """Protect what is in use, release what is not (after a live count), write statuses."""
        statuses: dict[str, list[str]] = {}
        async with self._lock(namespace):
            live: Live | None = None
            in_use: set[str] = set()
            for (ns, name), info in list(self.configs.items()):
                if ns != namespace:
                    continue
                key = (ns, name)
                users = sorted(self.users.get(key, {}))
                if not users and (
                    IN_USE_FINALIZER in info.finalizers or key in self.protected_configs
                ):
                    live = live or await self._live(namespace)
                    users = live.users.get(name, [])  # the watch may lag: count again
                    if not users:
                        await self._release_config(namespace, name)
                elif users and key not in self.protected_configs and not info.deleting:
                    await self._protect_config(namespace, name)
                if users and info.secret:
                    in_use.add(info.secret)
                statuses[name] = users
            for secret in sorted(in_use):
                if (namespace, secret) not in self.protected_secrets:
                    await self._protect_secret(namespace, secret)
            held = {name for (ns, name) in self.secrets if ns == namespace}
            held |= {name for (ns, name) in self.protected_secrets if ns == namespace}
            for secret in sorted(held - in_use):
                live = live or await self._live(namespace)
                if not live.secret_in_use(secret):
                    await self._release_secret(namespace, secret)
            for ns, secret in list(self.missing_secrets):
                if ns == namespace and secret not in in_use:
                    self.missing_secrets.discard((ns, secret))
        for name, users in statuses.items():
            await self._write_status(namespace, name, users)

    async def _write_status(
        self, namespace: str, name: str, users: list[str] | None = None
    ) -> None:
        """The whole status: users, InUse, and the credentials check's Ready.

        A merge patch replaces the conditions list as a whole, so every write
        carries both conditions, composed under a per-ProviderConfig lock from
        the newest of each: two writers never undo each other. ``users``
        None: the users last written (a Ready change alone).
        """
        key = (namespace, name)
        lock = self._status_locks.setdefault(key, asyncio.Lock())
        async with lock:
            info = self.configs.get(key)
            if info is None:
                return  # gone
            if users is None:
                users = self._shown_users.get(key)
                if users is None:
                    users = sorted(self.users.get(key, {}))
            shown = self.checker.shown.get(key) if self.checker is not None else None
            ready, checked_with = shown if shown is not None else (info.ready, info.checked_with)
            if info.written is None and not users and not ready:
                return  # never used, never checked: nothing to say
            condition = _in_use_condition(users, info.deleting, info.condition)
            status: dict[str, Any] = {
                "users": users[:MAX_LISTED_USERS],
                "userCount": len(users),
                "conditions": [condition, *([ready] if ready else [])],
                "checkedWith": checked_with,
            }
            wanted = _status_key(status)
            if wanted == info.written:
                self._shown_users[key] = users
                return
            try:
                await self.ctx.kube.patch_object_status("ProviderConfig", namespace, name, status)
            except KubeError as exc:
                if key in self.configs and not info.deleting:
                    logger.warning("status of ProviderConfig %s/%s: %s", namespace, name, exc)
                return
            info.written, info.condition = wanted, condition
            info.ready, info.checked_with = dict(ready), checked_with
            self._shown_users[key] = users

    # ---- Secrets that users wait for

    def _missing(self, key: Key) -> None:
        self.missing_secrets.add(key)
        if key not in self._pollers:
            self._pollers[key] = asyncio.get_running_loop().create_task(self._look_for(key))

    def _wanted(self, key: Key) -> bool:
        namespace, secret = key
        return any(
            ns == namespace and info.secret == secret and self.users.get((ns, pc))
            for (ns, pc), info in list(self.configs.items())
        )

    async def _look_for(self, key: Key) -> None:
        """Poll for a Secret that in-use ProviderConfigs name: unlabelled, it is not watched."""
        try:
            while key in self.missing_secrets:
                await asyncio.sleep(MISSING_SECRET_POLL)
                if key not in self.missing_secrets:
                    return
                if not self._wanted(key):
                    self.missing_secrets.discard(key)
                    return
                try:
                    meta = await self.ctx.kube.get_secret_metadata(*key)
                except KubeError:
                    continue
                if meta is not None:
                    self.missing_secrets.discard(key)
                    self._wake_secret_users(key, f"Secret {key[1]} created")
                    self.request_sync(key[0])
                    return
        finally:
            self._pollers.pop(key, None)

    async def aclose(self) -> None:
        tasks = [*self._tasks.values(), *self._pollers.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.checker is not None:
            await self.checker.aclose()


def register(ctx: OperatorContext) -> Protection:
    """Register the ProviderConfig, Secret and users handlers; install ``ctx.protect``."""
    protection = Protection(ctx)
    protection.checker = CredentialCheck(ctx, protection._write_status, protection.watched_secret)
    ctx.protect = protection.ensure
    copies = ctx.copies = WatchedCopies()

    @kopf.on.startup()
    async def _watch_only_protected_secrets(settings: kopf.OperatorSettings, **_: Any) -> None:
        # Server-side filtering: the operator never lists or watches other Secrets.
        settings.watching.label_selectors["v1", "secrets"] = IN_USE_LABEL

    @kopf.on.cleanup()
    async def _stop(**_: Any) -> None:
        await protection.aclose()

    async def on_config(event: Mapping[str, Any], body: kopf.Body, **_: Any) -> None:
        copies.config_event(event.get("type"), body)
        protection.config_event(event.get("type"), body)

    async def on_secret(event: Mapping[str, Any], body: kopf.Body, **_: Any) -> None:
        labels = _mapping(_mapping(body.get("metadata")).get("labels"))
        copies.secret_event(event.get("type"), body, kept=IN_USE_LABEL in labels)
        protection.secret_event(event.get("type"), body)

    kopf.on.event(GROUP, VERSION, "providerconfigs", id="in-use")(on_config)
    kopf.on.event("v1", "secrets", id="in-use")(on_secret)

    # The users' events come through their kinds' one event handler (handlers.common).
    ctx.listeners.append(protection.user_event)
    return protection
