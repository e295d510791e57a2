"""Fakes for the core and handler tests: a provider made of small functions, Kubernetes in dicts.

:class:`ProviderFns` follows crossplane-runtime's ``ExternalClientFns``: one
field per method of the :class:`cloudnet.core.provider.Provider` protocol,
each an async (or plain) function that a test row may replace. The defaults
work on a :class:`FakeCloud`, a dict of objects with a unique key and one
compared value, so a row only writes the function its situation is about
(a create that loses its answer, a delete the cloud refuses, ...).

:class:`FakeCluster` is the Kubernetes side, for the core (it implements the
:class:`cloudnet.core.resource.KubePort` protocol on stored bodies, applying
merge patches as the API server does) and for the handlers (the reads
``ctx.kube`` offers: objects, ProviderConfigs, Secrets). Every provider call
and every Kubernetes write goes into one :class:`Journal`, in order, so a test
can say "the original was written before the update went out".
"""

from __future__ import annotations

import copy
import itertools
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cloudnet.api.common import Phase
from cloudnet.api.errors import CloudError, CloudTransportError, ErrorClass
from cloudnet.core.provider import (
    Capabilities,
    Delta,
    Difference,
    Observation,
    WriteResult,
)
from cloudnet.core.resource import KubeError, KubeGone, Resource

# --- the journal ---------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One provider call (``side="cloud"``) or one Kubernetes write or read."""

    side: str  # "cloud" | "status" | "annotations" | "event" | "read"
    what: str  # the provider method, the event reason, the object read
    data: Any = None


class Journal(list[Entry]):
    def calls(self) -> list[str]:
        """The provider methods called, in order."""
        return [e.what for e in self if e.side == "cloud"]

    def first(self, predicate: Callable[[Entry], bool]) -> int:
        """The position of the first entry for which ``predicate`` holds."""
        return next(i for i, e in enumerate(self) if predicate(e))

    def kube_writes(self) -> int:
        """Status patches, annotation patches and events."""
        return sum(1 for e in self if e.side in ("status", "annotations", "event"))

    def of(self, side: str) -> list[Any]:
        return [e.data for e in self if e.side == side]


# --- the cloud and the provider -------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """A provider spec: a unique key, one compared value, a write-only parameter."""

    key: str = "k1"
    value: str = "v1"
    secret: str | None = None
    #: the cloud id the spec names itself (``creates=False`` providers)
    names: str | None = None


@dataclass
class CloudObject:
    id: str
    key: str
    value: str
    phase: Phase = Phase.ACTIVE


@dataclass
class FakeCloud:
    objects: dict[str, CloudObject] = field(default_factory=dict)
    ids: Any = field(default_factory=lambda: itertools.count(1))
    #: the phase a new object starts in
    create_phase: Phase = Phase.ACTIVE
    requests: Any = field(default_factory=lambda: itertools.count(1))

    def put(
        self, key: str = "k1", value: str = "v1", *, phase: Phase = Phase.ACTIVE, id: str = ""
    ) -> str:
        object_id = id or f"id-{next(self.ids)}"
        self.objects[object_id] = CloudObject(object_id, key, value, phase)
        return object_id

    def request_id(self) -> str:
        return f"req-{next(self.requests)}"

    def with_key(self, key: str) -> list[CloudObject]:
        return [o for o in self.objects.values() if o.key == key]


def key_of(spec: Any) -> str:
    """The unique key of a test :class:`Spec`, or of a real DnatRule block."""
    return spec.key if isinstance(spec, Spec) else repr(spec.unique_key())


def value_of(spec: Any) -> str:
    return spec.value if isinstance(spec, Spec) else str(spec.model_dump_json())


def observation_of(p: ProviderFns, spec: Any, obj: CloudObject) -> Observation:
    differences = []
    if obj.key != key_of(spec):
        differences.append(
            Difference(key="key", path="spec.key", desired=key_of(spec), observed=obj.key)
        )
    if obj.value != value_of(spec):
        differences.append(
            Difference(key="value", path="spec.value", desired=value_of(spec), observed=obj.value)
        )
    return Observation(
        exists=True,
        external_id=obj.id,
        phase=obj.phase,
        observed={"key": obj.key, "value": obj.value},
        delta=Delta.of(differences),
        request_id=p.cloud.request_id(),
    )


async def default_observe(p: ProviderFns, spec: Any, external_id: str) -> Observation:
    obj = p.cloud.objects.get(external_id)
    return observation_of(p, spec, obj) if obj else Observation.gone(p.cloud.request_id())


async def default_find(p: ProviderFns, spec: Any) -> Observation:
    found = [o for o in p.cloud.with_key(key_of(spec)) if o.phase != Phase.PENDING_DELETE]
    if found:
        return observation_of(p, spec, found[0])
    return Observation.gone(p.cloud.request_id())


async def default_create(p: ProviderFns, spec: Any) -> WriteResult:
    object_id = p.cloud.put(key_of(spec), value_of(spec), phase=p.cloud.create_phase)
    obj = p.cloud.objects[object_id]
    return WriteResult(
        external_id=object_id,
        request_id=p.cloud.request_id(),
        observation=observation_of(p, spec, obj),
    )


async def default_update(p: ProviderFns, spec: Any, external_id: str, delta: Delta) -> WriteResult:
    obj = p.cloud.objects[external_id]
    if delta.different_at("value"):
        obj.value = value_of(spec)
    return WriteResult(
        external_id=external_id,
        request_id=p.cloud.request_id(),
        observation=observation_of(p, spec, obj),
    )


async def default_delete(p: ProviderFns, spec: Any, external_id: str) -> WriteResult:
    p.cloud.objects.pop(external_id, None)
    return WriteResult(external_id=external_id, request_id=p.cloud.request_id())


async def default_observe_many(
    p: ProviderFns, scope: str, specs: Mapping[str, Any]
) -> dict[str, Observation]:
    return {eid: await default_observe(p, spec, eid) for eid, spec in specs.items()}


def default_snapshot(p: ProviderFns, observation: Observation) -> dict[str, Any]:
    return {"value": observation.observed.get("value")}


async def default_restore(
    p: ProviderFns, spec: Any, original: Mapping[str, Any]
) -> WriteResult | None:
    external_id = spec.names if isinstance(spec, Spec) else None
    obj = p.cloud.objects.get(external_id or "")
    if obj is None or "value" not in original or obj.value == str(original["value"]):
        return None  # nothing recorded, or the original is in place already: proof
    obj.value = str(original["value"])
    return WriteResult(external_id=obj.id, request_id=p.cloud.request_id())


def default_write_only(p: ProviderFns, spec: Any) -> Delta:
    secret = spec.secret if isinstance(spec, Spec) else None
    if secret is None:
        return Delta()
    return Delta.of([Difference(key="secret", path="spec.secret", desired=secret, observed=None)])


def default_identity(p: ProviderFns, spec: Any) -> str | None:
    return spec.names if isinstance(spec, Spec) else None


def default_scope(p: ProviderFns, spec: Any) -> str:
    return "scope"


#: the methods that change the cloud
WRITES = frozenset({"create", "update", "delete", "restore"})


@dataclass
class ProviderFns:
    """A provider made of small functions, each replaceable (``ExternalClientFns``)."""

    cloud: FakeCloud = field(default_factory=FakeCloud)
    journal: Journal = field(default_factory=Journal)
    capabilities: Capabilities = field(default_factory=Capabilities)
    name: str = "fns"
    scope_fn: Callable[[ProviderFns, Any], str] = default_scope
    identity_fn: Callable[[ProviderFns, Any], str | None] = default_identity
    observe_fn: Callable[[ProviderFns, Any, str], Awaitable[Observation]] = default_observe
    find_fn: Callable[[ProviderFns, Any], Awaitable[Observation]] = default_find
    create_fn: Callable[[ProviderFns, Any], Awaitable[WriteResult]] = default_create
    update_fn: Callable[[ProviderFns, Any, str, Delta], Awaitable[WriteResult]] = default_update
    delete_fn: Callable[[ProviderFns, Any, str], Awaitable[WriteResult]] = default_delete
    observe_many_fn: Callable[
        [ProviderFns, str, Mapping[str, Any]], Awaitable[dict[str, Observation]]
    ] = default_observe_many
    snapshot_fn: Callable[[ProviderFns, Observation], dict[str, Any]] = default_snapshot
    restore_fn: Callable[[ProviderFns, Any, Mapping[str, Any]], Awaitable[WriteResult | None]] = (
        default_restore
    )
    write_only_fn: Callable[[ProviderFns, Any], Delta] = default_write_only

    def _record(self, what: str, data: Any = None) -> None:
        self.journal.append(Entry("cloud", what, data))

    def scope(self, spec: Any) -> str:
        return self.scope_fn(self, spec)

    def identity(self, spec: Any) -> str | None:
        return self.identity_fn(self, spec)

    async def observe(self, spec: Any, external_id: str) -> Observation:
        self._record("observe", external_id)
        return await self.observe_fn(self, spec, external_id)

    async def find(self, spec: Any) -> Observation:
        self._record("find", key_of(spec))
        return await self.find_fn(self, spec)

    async def create(self, spec: Any) -> WriteResult:
        self._record("create", key_of(spec))
        return await self.create_fn(self, spec)

    async def update(self, spec: Any, external_id: str, delta: Delta) -> WriteResult:
        self._record("update", (external_id, delta))
        return await self.update_fn(self, spec, external_id, delta)

    async def delete(self, spec: Any, external_id: str) -> WriteResult:
        self._record("delete", external_id)
        return await self.delete_fn(self, spec, external_id)

    async def observe_many(self, scope: str, specs: Mapping[str, Any]) -> dict[str, Observation]:
        self._record("observe_many", (scope, sorted(specs)))
        return await self.observe_many_fn(self, scope, specs)

    def snapshot(self, observation: Observation) -> dict[str, Any]:
        self._record("snapshot", observation.external_id)
        return self.snapshot_fn(self, observation)

    async def restore(
        self, spec: Any, original: Mapping[str, Any], current: Observation
    ) -> WriteResult | None:
        self._record("restore", dict(original))
        return await self.restore_fn(self, spec, original)

    def write_only(self, spec: Any) -> Delta:
        self._record("write_only")
        return self.write_only_fn(self, spec)

    def writes(self) -> list[str]:
        return [c for c in self.journal.calls() if c in WRITES]


# --- small functions for rows ----------------------------------------------------------


def cloud_error(
    error_class: ErrorClass, code: str = "", *, retry_after: float | None = None
) -> CloudError:
    return CloudError(
        code=code or f"Test.{error_class.value}",
        message=f"the cloud says {error_class.value}",
        error_class=error_class,
        http_status=400,
        request_id="req-refused",
        retry_after=retry_after,
    )


def refuse(error_class: ErrorClass, code: str = "", **kw: Any) -> Callable[..., Awaitable[Any]]:
    """A method that answers with a cloud error of this class and changes nothing."""

    async def fn(p: ProviderFns, *args: Any) -> Any:
        raise cloud_error(error_class, code, **kw)

    return fn


def lose_answer(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """The call is carried out in the cloud, and its answer never comes back."""

    async def lost(p: ProviderFns, *args: Any) -> Any:
        await fn(p, *args)
        raise CloudTransportError("connection reset by peer")

    return lost


# --- Kubernetes -------------------------------------------------------------------------


def merge_patch(target: dict[str, Any], patch: Mapping[str, Any]) -> None:
    """RFC 7386 JSON merge patch, as the API server applies it."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, Mapping):
            if not isinstance(target.get(key), dict):
                target[key] = {}
            merge_patch(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


@dataclass(frozen=True)
class Event:
    warning: bool
    reason: str
    message: str


Key = tuple[str, str, str]


@dataclass
class FakeCluster:
    """Bodies by (kind, namespace, name), ProviderConfigs and Secrets; the core's KubePort."""

    journal: Journal = field(default_factory=Journal)
    bodies: dict[Key, dict[str, Any]] = field(default_factory=dict)
    provider_configs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    secrets: dict[tuple[str, str], tuple[dict[str, str], str]] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    reads: Counter[str] = field(default_factory=Counter)
    #: a status patch for which this says True fails with KubeError
    fail_status: Callable[[Mapping[str, Any]], bool] | None = None
    fail_annotations: Callable[[Mapping[str, Any]], bool] | None = None
    #: namespaces whose ProviderConfig reads fail with KubeError
    fail_provider_config_reads: set[str] = field(default_factory=set)

    # -- setting up ------------------------------------------------------------------

    def add(self, body: Mapping[str, Any]) -> dict[str, Any]:
        stored = copy.deepcopy(dict(body))
        meta = stored.setdefault("metadata", {})
        self.bodies[(str(stored.get("kind")), meta["namespace"], meta["name"])] = stored
        return stored

    def body(self, kind: str, namespace: str, name: str) -> dict[str, Any]:
        return self.bodies[(kind, namespace, name)]

    def resource(self, kind: str, namespace: str, name: str) -> Resource:
        """A fresh read of a stored body, as the core sees it (plain shapes only)."""
        body = self.body(kind, namespace, name)
        meta = body["metadata"]
        status = body.get("status")
        return Resource(
            kind=kind,
            namespace=namespace,
            name=name,
            uid=str(meta.get("uid", "")),
            generation=int(meta.get("generation") or 1),
            annotations=dict(meta.get("annotations") or {}),
            status=copy.deepcopy(dict(status)) if isinstance(status, Mapping) else {},
            deleting=bool(meta.get("deletionTimestamp")),
        )

    def _stored(self, resource: Resource) -> dict[str, Any]:
        body = self.bodies.get((resource.kind, resource.namespace, resource.name))
        if body is None:
            raise KubeGone(f"{resource.ref}: not found")
        return body

    # -- the KubePort protocol -------------------------------------------------------

    async def patch_status(self, resource: Resource, status: Mapping[str, Any]) -> None:
        body = self._stored(resource)
        if self.fail_status is not None and self.fail_status(status):
            self.journal.append(Entry("failed", "status", copy.deepcopy(dict(status))))
            raise KubeError(f"status patch of {resource.ref}: HTTP 500 injected")
        self.journal.append(Entry("status", resource.name, copy.deepcopy(dict(status))))
        if not isinstance(body.get("status"), dict):
            body["status"] = {}
        merge_patch(body["status"], status)

    async def patch_annotations(
        self, resource: Resource, annotations: Mapping[str, str | None]
    ) -> None:
        body = self._stored(resource)
        if self.fail_annotations is not None and self.fail_annotations(annotations):
            raise KubeError(f"annotation patch of {resource.ref}: HTTP 500 injected")
        self.journal.append(Entry("annotations", resource.name, dict(annotations)))
        meta = body.setdefault("metadata", {})
        if not isinstance(meta.get("annotations"), dict):
            meta["annotations"] = {}
        merge_patch(meta["annotations"], annotations)
        # As the real KubeClient does: the resource shows what was written.
        resource.annotations = {
            **{k: v for k, v in resource.annotations.items() if k not in annotations},
            **{k: v for k, v in annotations.items() if v is not None},
        }

    async def post_event(
        self, resource: Resource, *, warning: bool, reason: str, message: str
    ) -> None:
        self.journal.append(Entry("event", reason, {"warning": warning, "message": message}))
        self.events.append(Event(warning=warning, reason=reason, message=message))

    # -- the reads the handlers make -------------------------------------------------

    async def get_object(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        self.reads[f"{kind}/{namespace}/{name}"] += 1
        body = self.bodies.get((kind, namespace, name))
        return copy.deepcopy(body) if body is not None else None

    async def get_provider_config(self, namespace: str, name: str) -> dict[str, Any]:
        from cloudnet.handlers.kube_client import NotFoundError

        self.reads[f"ProviderConfig/{namespace}/{name}"] += 1
        if namespace in self.fail_provider_config_reads:
            raise KubeError(f"read of ProviderConfig {namespace}/{name}: HTTP 503 injected")
        body = self.provider_configs.get((namespace, name))
        if body is None:
            raise NotFoundError(f"ProviderConfig {name!r} not found in namespace {namespace!r}")
        return copy.deepcopy(body)

    async def get_secret(self, namespace: str, name: str) -> tuple[dict[str, str], str]:
        from cloudnet.handlers.kube_client import NotFoundError

        self.reads[f"Secret/{namespace}/{name}"] += 1
        found = self.secrets.get((namespace, name))
        if found is None:
            raise NotFoundError(f"Secret {name!r} not found in namespace {namespace!r}")
        return dict(found[0]), found[1]

    # -- looking at the result ---------------------------------------------------------

    def status_of(self, kind: str, namespace: str, name: str) -> dict[str, Any]:
        status = self.body(kind, namespace, name).get("status")
        return status if isinstance(status, dict) else {}

    def annotations_of(self, kind: str, namespace: str, name: str) -> dict[str, str]:
        annotations = self.body(kind, namespace, name)["metadata"].get("annotations")
        return annotations if isinstance(annotations, dict) else {}


def conditions_of(status: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    raw = status.get("conditions")
    assert isinstance(raw, list), f"conditions must be a list: {raw!r}"
    return {c["type"]: c for c in raw}


# --- handlers: a fake ctx ------------------------------------------------------------------


@dataclass
class FakeRegistry:
    """``ctx.providers``: hands out the one ProviderFns, and records what it was asked with."""

    provider: ProviderFns
    asked: list[tuple[Any, dict[str, str]]] = field(default_factory=list)

    def get(self, config: Any, secret: Mapping[str, str]) -> ProviderFns:
        self.asked.append((config, dict(secret)))
        return self.provider


NAMESPACE = "demo"
PROJECT = "2993a37f1765d55d2a6526b764ae47e5"
HUAWEI_BLOCK: dict[str, Any] = {
    "natGatewayId": "23a937a4-f3dc-41ed-bf54-6a9844aa46e5",
    "floatingIpId": "a974bed9-1264-4c34-b01a-f8a2c325f4ca",
    "portId": "12cf9091-5178-4185-8be3-2c13f3f41ac8",
    "protocol": "tcp",
    "internalServicePort": 80,
    "externalServicePort": 8080,
}


def dnat_body(
    name: str = "web",
    *,
    namespace: str = NAMESPACE,
    generation: int = 1,
    status: Any = None,
    annotations: Mapping[str, str] | None = None,
    deleting: bool = False,
    spec: Any = None,
    **block: Any,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "uid": f"uid-{namespace}-{name}",
        "generation": generation,
        "annotations": dict(annotations or {}),
        "finalizers": ["cloudnet.dev/finalizer"],
    }
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    body: dict[str, Any] = {
        "apiVersion": "cloudnet.dev/v1alpha1",
        "kind": "DnatRule",
        "metadata": meta,
        "spec": spec
        if spec is not None
        else {"providerConfigRef": {"name": "huawei"}, "huaweiNat": {**HUAWEI_BLOCK, **block}},
    }
    if status is not None:
        body["status"] = status
    return body


def provider_config_body(name: str = "huawei", *, namespace: str = NAMESPACE) -> dict[str, Any]:
    return {
        "apiVersion": "cloudnet.dev/v1alpha1",
        "kind": "ProviderConfig",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": f"pc-{namespace}",
            "generation": 1,
        },
        "spec": {
            "provider": "huawei-nat",
            "region": "cn-north-4",
            "projectId": PROJECT,
            "credentialsSecretRef": {"name": "huawei-credentials"},
        },
    }


@dataclass
class Harness:
    """A fake operator context: the cluster, one ProviderFns behind every ProviderConfig."""

    cluster: FakeCluster
    provider: ProviderFns
    ctx: Any

    @property
    def cloud(self) -> FakeCloud:
        return self.provider.cloud


def harness(*namespaces: str, capabilities: Capabilities | None = None) -> Harness:
    from cloudnet.handlers.context import OperatorContext
    from cloudnet.handlers.watch import WatchCache

    journal = Journal()
    cluster = FakeCluster(journal=journal)
    provider = ProviderFns(journal=journal, capabilities=capabilities or Capabilities())
    for namespace in namespaces or (NAMESPACE,):
        cluster.provider_configs[(namespace, "huawei")] = provider_config_body(namespace=namespace)
        cluster.secrets[(namespace, "huawei-credentials")] = (
            {"accessKeyId": "HWSIMAK7Q2M4X9C1LP0E", "accessKeySecret": "sImSk0Z8vQ3nB6yT1rW4eU7i"},
            f"secret-{namespace}/1",
        )
    ctx = OperatorContext(
        kube=cluster,  # type: ignore[arg-type]
        providers=FakeRegistry(provider),  # type: ignore[arg-type]
        watch_cache=WatchCache(),
    )
    return Harness(cluster=cluster, provider=provider, ctx=ctx)
