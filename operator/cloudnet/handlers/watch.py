"""The watch cache and wake-ups: intent that lives outside ``spec`` reaches the core too.

kopf runs our update handler only when ``spec`` changes. Removing
``cloudnet.dev/paused``, adding or changing ``cloudnet.dev/external-id``, or
fixing the ProviderConfig or Secret a resource uses change no ``spec``, yet
each is a request to act. The watch cache sees every event of our kinds and
compares the annotations with the previous body; the ProviderConfig and
Secret handlers (``provider_config``) find their users here. Either way the
resource is *woken*: :class:`Waker` runs the same locked, fresh-read path as
the handlers, outside kopf, and follows its outcome (polls and backoff
included) until it is done or blocked. At most one wake-up task runs per
resource; a wake-up asked for while one runs makes it go round once more.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cloudnet.core.outcome import Blocked, Done, Retry, backoff
from cloudnet.core.resource import ANN_EXTERNAL_ID, ANN_PAUSED, ANN_REFRESH

if TYPE_CHECKING:
    from cloudnet.handlers.common import Kind
    from cloudnet.handlers.context import OperatorContext

logger = logging.getLogger(__name__)

WakeFn = Callable[[str, str, str, str], None]


def _annotations(body: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = body.get("metadata")
    ann = meta.get("annotations") if isinstance(meta, Mapping) else None
    return ann if isinstance(ann, Mapping) else {}


def intent_changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> str | None:
    """Why a change outside ``spec`` asks for a reconcile, or None."""
    before, after = _annotations(old), _annotations(new)
    if before.get(ANN_PAUSED) == "true" and after.get(ANN_PAUSED) != "true":
        return f"{ANN_PAUSED} removed"
    if after.get(ANN_EXTERNAL_ID) and after.get(ANN_EXTERNAL_ID) != before.get(ANN_EXTERNAL_ID):
        return f"{ANN_EXTERNAL_ID} set"
    if refresh_pending(new) and after.get(ANN_REFRESH) != before.get(ANN_REFRESH):
        return f"{ANN_REFRESH} set"
    return None


def refresh_pending(body: Mapping[str, Any]) -> bool:
    """Whether the refresh annotation holds a value that status does not echo yet."""
    value = _annotations(body).get(ANN_REFRESH)
    status = body.get("status")
    echoed = status.get("refreshRequestedAt") if isinstance(status, Mapping) else None
    return bool(value) and value != echoed


@dataclass
class WatchCache:
    """The latest body of every resource of our kinds, by uid, kept from the watch stream."""

    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    #: called with (kind, namespace, name, why) when intent outside the spec changed
    on_intent: WakeFn = field(default=lambda *_: None)
    #: (kind, cloud id) -> the resource that created it and left it in the cloud when it
    #: went (deletionPolicy Orphan, ObserveOnly): still its creator's, for this process
    left_behind: dict[tuple[str, str], str] = field(default_factory=dict)

    def update(self, kind: Kind, event_type: str | None, body: Mapping[str, Any]) -> None:
        meta = body.get("metadata")
        if not isinstance(meta, Mapping) or not meta.get("uid"):
            return
        uid = str(meta["uid"])
        if event_type == "DELETED":
            gone = self.bodies.pop(uid, None) or body
            self.kinds.pop(uid, None)
            self._remember_left_behind(kind.name, gone)
            return
        previous = self.bodies.get(uid)
        self.bodies[uid] = dict(body)
        self.kinds[uid] = kind.name
        if previous is not None:
            why = intent_changed(previous, body)
            if why:
                self.on_intent(kind.name, str(meta.get("namespace")), str(meta.get("name")), why)

    def _remember_left_behind(self, kind: str, body: Mapping[str, Any]) -> None:
        """A creator that went leaving its object: the object is not free for the taking.

        Another resource's create guard over the same key would otherwise
        adopt it, though the key being held proves that guarded create never
        committed. Kept in memory only: a restart forgets it.
        """
        status, spec = body.get("status"), body.get("spec")
        if not isinstance(status, Mapping) or not isinstance(spec, Mapping):
            return
        created = status.get("createdId")
        if not created or status.get("externalId") != created:
            return
        if spec.get("deletionPolicy") == "Orphan" or spec.get("managementPolicy") == "ObserveOnly":
            meta = body.get("metadata") or {}
            ref = f"{kind} {meta.get('namespace')}/{meta.get('name')} (deleted, object left)"
            self.left_behind[(kind, str(created))] = ref

    def creator_gone(self, kind: str, external_id: str) -> str | None:
        """The resource that created this object and went leaving it, if this process saw it."""
        return self.left_behind.get((kind, external_id))

    def claimant(self, kind: str, external_id: str, uid: str) -> str | None:
        """The resource of this kind, other than ``uid``, that created this cloud object.

        Asked only off the common path (an object found by key under a
        create-pending mark, an id only observed or named by annotation, a
        key refused as in use), so a scan is cheaper than an index kept on
        every event.
        """
        for other, body in list(self.bodies.items()):
            if other == uid or self.kinds.get(other) != kind:
                continue
            status = body.get("status")
            if not isinstance(status, Mapping):
                continue
            spec = body.get("spec")
            observer = isinstance(spec, Mapping) and spec.get("managementPolicy") == "ObserveOnly"
            created = status.get("createdId")
            # The creator owns it, whatever its policy now. An observer watches whatever
            # holds its key (ours included): it owns nothing. A managing resource that
            # did not create it (it followed it from ObserveOnly, or predates createdId)
            # manages it already: one manager is enough.
            if created == external_id or (
                created in (None, "") and not observer and status.get("externalId") == external_id
            ):
                meta = body.get("metadata") or {}
                return f"{kind} {meta.get('namespace')}/{meta.get('name')}"
        return None

    def users_of(self, namespace: str, provider_config: str) -> list[tuple[str, str, str]]:
        """(kind, namespace, name) of every cached resource naming this ProviderConfig."""
        from cloudnet.handlers.common import provider_config_ref

        found = []
        for uid, body in list(self.bodies.items()):
            meta = body.get("metadata") or {}
            if meta.get("namespace") == namespace and provider_config_ref(body) == provider_config:
                found.append((self.kinds.get(uid, ""), namespace, str(meta.get("name"))))
        return found


def _decoded(name: str, data: Any) -> dict[str, str] | ValueError:
    """A Secret's data as :meth:`KubeClient.get_secret` decodes it (the same refusal too)."""
    decoded: dict[str, str] = {}
    for key, value in (data if isinstance(data, Mapping) else {}).items():
        try:
            decoded[str(key)] = base64.b64decode(str(value)).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return ValueError(f"Secret {name!r} key {key!r} is not base64 text")
    return decoded


def _older(version: str, than: str) -> bool:
    """Whether resourceVersion ``version`` precedes ``than``.

    resourceVersions are opaque to clients, but every API server we know
    (etcd's revisions, the test API's counter) issues increasing integers;
    anything else counts as older unless equal, so the copy is not trusted.
    """
    if version == than:
        return False
    if version.isdigit() and than.isdigit():
        return int(version) < int(than)
    return True


@dataclass
class WatchedCopies:
    """ProviderConfigs and in-use Secrets as their watch streams last showed them.

    Every reconcile needs the ProviderConfig and Secret its resource names;
    reading both from the API server cost two GETs per reconcile (2 of the 9
    requests per created rule at 1,000 rules). The operator watches every
    ProviderConfig and every Secret it protects anyway, so it answers from
    those copies, as current as the watch. A change made meanwhile reaches
    the users by the wake-up its event causes. Secrets are kept only while
    protected (labelled in use): the watch sees no others. A copy lives only
    in this process and its values never leave it.
    """

    configs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict, repr=False)
    secrets: dict[tuple[str, str], tuple[dict[str, str] | ValueError, str]] = field(
        default_factory=dict, repr=False
    )
    #: the newest resourceVersion a fresh read returned, per object: a copy older than
    #: that is not used (the watch has not caught up with what a handler already saw)
    floors: dict[tuple[str, str, str], str] = field(default_factory=dict, repr=False)

    def saw(self, kind: str, namespace: str, name: str, resource_version: str) -> None:
        """A fresh read returned this version: never answer with an older copy."""
        key = (kind, namespace, name)
        if _older(self.floors.get(key, ""), resource_version):
            self.floors[key] = resource_version

    def _current(self, kind: str, key: tuple[str, str], resource_version: str) -> bool:
        floor = self.floors.get((kind, *key))
        if floor is None:
            return True
        if _older(resource_version, floor):
            return False
        del self.floors[(kind, *key)]  # the watch caught up
        return True

    @staticmethod
    def _key(body: Mapping[str, Any]) -> tuple[str, str] | None:
        meta = body.get("metadata")
        if not isinstance(meta, Mapping) or not meta.get("name"):
            return None
        return str(meta.get("namespace") or ""), str(meta["name"])

    def config_event(self, event_type: str | None, body: Mapping[str, Any]) -> None:
        key = self._key(body)
        if key is None:
            return
        if event_type == "DELETED":
            self.configs.pop(key, None)
        else:
            self.configs[key] = copy.deepcopy(dict(body))

    def secret_event(self, event_type: str | None, body: Mapping[str, Any], *, kept: bool) -> None:
        """``kept``: the Secret is in the watched selection (protected) after this event."""
        key = self._key(body)
        if key is None:
            return
        if event_type == "DELETED" or not kept:
            self.secrets.pop(key, None)
            return
        meta = body["metadata"]
        version = f"{meta.get('uid', '')}/{meta.get('resourceVersion', '')}"
        self.secrets[key] = (_decoded(key[1], body.get("data")), version)

    def config(self, namespace: str, name: str) -> dict[str, Any] | None:
        found = self.configs.get((namespace, name))
        if found is None:
            return None
        version = str((found.get("metadata") or {}).get("resourceVersion") or "")
        if not self._current("ProviderConfig", (namespace, name), version):
            return None
        return copy.deepcopy(found)

    def secret(self, namespace: str, name: str) -> tuple[dict[str, str], str] | None:
        """The decoded data and uid/resourceVersion; raises ValueError for undecodable data."""
        found = self.secrets.get((namespace, name))
        if found is None:
            return None
        data, version = found
        if not self._current("Secret", (namespace, name), version.rpartition("/")[2]):
            return None
        if isinstance(data, ValueError):
            raise ValueError(str(data))
        return dict(data), version


class Waker:
    """Reconciles woken resources outside kopf, one task per resource, following outcomes."""

    def __init__(self, ctx: OperatorContext, kinds: Mapping[str, Kind]) -> None:
        self.ctx = ctx
        self.kinds = kinds
        self.tasks: dict[tuple[str, str, str], asyncio.Task[None]] = {}
        self._again: set[tuple[str, str, str]] = set()

    def __call__(self, kind: str, namespace: str, name: str, why: str) -> None:
        key = (kind, namespace, name)
        if kind not in self.kinds:
            return
        if key in self.tasks:
            self._again.add(key)
            return
        logger.info("%s %s/%s: reconciling (%s)", kind, namespace, name, why)
        self.tasks[key] = asyncio.get_running_loop().create_task(self._follow(key))

    async def _follow(self, key: tuple[str, str, str]) -> None:
        from cloudnet.handlers.common import reconcile_object

        kind, namespace, name = key
        attempt = 0
        try:
            while True:
                self._again.discard(key)
                try:
                    outcome = await reconcile_object(
                        self.ctx, self.kinds[kind], namespace, name, attempt=attempt
                    )
                except Exception:
                    logger.exception("%s %s/%s: unexpected failure", kind, namespace, name)
                    outcome = Retry(after=backoff(attempt, base=5.0, cap=300.0), reason="internal")
                if isinstance(outcome, Done | Blocked):
                    if key in self._again:
                        attempt = 0
                        continue
                    return
                await asyncio.sleep(outcome.after)
                attempt += 1
        finally:
            self.tasks.pop(key, None)
            self._again.discard(key)

    async def aclose(self) -> None:
        for task in list(self.tasks.values()):
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
