"""An in-memory Kubernetes API: what ``ctx.kube`` must do, with failures on demand.

:class:`MemoryKube` implements the reads the handlers make (``get_object``,
``get_provider_config``, ``get_secret``, ``get_secret_data``) and the writes
the core makes (``patch_status`` as a JSON merge patch, ``patch_annotations``,
``post_event``), with the API server's semantics the guarantees depend on:

* a write is applied before it returns, and a failed one raises
  :class:`~cloudnet.core.resource.KubeError` having changed nothing;
* ``metadata.generation`` moves only when ``spec`` changes;
* deleting an object with finalizers only sets ``deletionTimestamp``; it goes
  when its last finalizer is removed (the model removes ours when
  ``delete_object`` returns ``Done``, as kopf would);
* a write to an object that is gone raises
  :class:`~cloudnet.core.resource.KubeGone`.

The hooks let the model fail the n-th write from now, and crash the
"process" just before or just after a write lands.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cloudnet.api.common import GROUP, VERSION
from cloudnet.core.resource import FINALIZER, KubeError, KubeGone, Resource
from cloudnet.handlers.kube_client import NotFoundError

Key = tuple[str, str, str]


def merge_patch(target: dict[str, Any], patch: Mapping[str, Any]) -> None:
    """RFC 7386 JSON merge patch, as the API server applies one."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, Mapping):
            current = target.get(key)
            if not isinstance(current, dict):
                current = target[key] = {}
            merge_patch(current, value)
        else:
            target[key] = copy.deepcopy(value)


@dataclass(frozen=True)
class Event:
    ref: str
    warning: bool
    reason: str
    message: str


class MemoryKube:
    """One namespace's worth of objects, Secrets and ProviderConfigs, held in dicts."""

    def __init__(self) -> None:
        self.objects: dict[Key, dict[str, Any]] = {}
        self.provider_configs: dict[tuple[str, str], dict[str, Any]] = {}
        self.secrets: dict[tuple[str, str], dict[str, str]] = {}
        self.events: list[Event] = []
        self._versions = itertools.count(1)
        self._uids = itertools.count(1)
        #: fail the n-th write from now (1 = the next one); None = no failure armed
        self.fail_write_in: int | None = None
        #: called before and after each write lands (the model's crash points)
        self.on_write: Callable[[str, str], None] = lambda _when, _what: None
        self.writes = 0
        self.failed = 0

    # -- the model's side: what a user or kopf does -------------------------------------

    def _version(self) -> str:
        return str(next(self._versions))

    def create(self, kind: str, namespace: str, name: str, body: Mapping[str, Any]) -> str:
        """Create an object (kopf's finalizer already on it); its uid."""
        uid = f"uid-{next(self._uids)}"
        obj = copy.deepcopy(dict(body))
        meta = obj.setdefault("metadata", {})
        meta.update(
            {
                "name": name,
                "namespace": namespace,
                "uid": uid,
                "generation": 1,
                "resourceVersion": self._version(),
                "finalizers": [FINALIZER],
                "creationTimestamp": _stamp(),
            }
        )
        obj.setdefault("apiVersion", f"{GROUP}/{VERSION}")
        obj["kind"] = kind
        self.objects[(kind, namespace, name)] = obj
        return uid

    def body(self, key: Key) -> dict[str, Any] | None:
        return self.objects.get(key)

    def set_spec(self, key: Key, spec: Mapping[str, Any]) -> None:
        obj = self.objects[key]
        if obj.get("spec") != spec:
            obj["spec"] = copy.deepcopy(dict(spec))
            obj["metadata"]["generation"] += 1
        obj["metadata"]["resourceVersion"] = self._version()

    def set_annotation(self, key: Key, name: str, value: str | None) -> None:
        meta = self.objects[key]["metadata"]
        annotations = dict(meta.get("annotations") or {})
        if value is None:
            annotations.pop(name, None)
        else:
            annotations[name] = value
        meta["annotations"] = annotations
        meta["resourceVersion"] = self._version()

    def delete(self, key: Key) -> bool:
        """kubectl delete: True when the object went at once (no finalizers)."""
        meta = self.objects[key]["metadata"]
        if not meta.get("finalizers"):
            del self.objects[key]
            return True
        meta.setdefault("deletionTimestamp", _stamp())
        meta["resourceVersion"] = self._version()
        return False

    def remove_finalizer(self, key: Key) -> None:
        """kopf after the delete handler succeeded: the object goes if deleting."""
        meta = self.objects[key]["metadata"]
        meta["finalizers"] = [f for f in meta.get("finalizers") or [] if f != FINALIZER]
        if meta.get("deletionTimestamp") and not meta["finalizers"]:
            del self.objects[key]

    # -- the operator's side: the KubeClient surface --------------------------------------

    def _write(self, what: str) -> None:
        self.writes += 1
        if self.fail_write_in is not None:
            self.fail_write_in -= 1
            if self.fail_write_in <= 0:
                self.fail_write_in = None
                self.failed += 1
                raise KubeError(f"{what}: HTTP 500 Internal Server Error (injected)")
        self.on_write("before", what)

    def _target(self, resource: Resource, what: str) -> dict[str, Any]:
        obj = self.objects.get((resource.kind, resource.namespace, resource.name))
        if obj is None or (resource.uid and obj["metadata"]["uid"] != resource.uid):
            raise KubeGone(f"{what} of {resource.ref}: not found")
        return obj

    async def patch_status(self, resource: Resource, status: Mapping[str, Any]) -> None:
        obj = self._target(resource, "status patch")
        self._write("status")
        current = obj.get("status")
        if not isinstance(current, dict):
            current = obj["status"] = {}
        merge_patch(current, status)
        obj["metadata"]["resourceVersion"] = self._version()
        self.on_write("after", "status")

    async def patch_annotations(
        self, resource: Resource, annotations: Mapping[str, str | None]
    ) -> None:
        obj = self._target(resource, "annotation patch")
        self._write("annotations")
        meta = obj["metadata"]
        current = dict(meta.get("annotations") or {})
        for name, value in annotations.items():
            if value is None:
                current.pop(name, None)
            else:
                current[name] = value
        meta["annotations"] = current
        meta["resourceVersion"] = self._version()
        # As KubeClient does: the resource shows what was written.
        resource.annotations = {
            **{k: v for k, v in resource.annotations.items() if k not in annotations},
            **{k: v for k, v in annotations.items() if v is not None},
        }
        self.on_write("after", "annotations")

    async def post_event(
        self, resource: Resource, *, warning: bool, reason: str, message: str
    ) -> None:
        self.events.append(Event(resource.ref, warning, reason, message))
        del self.events[:-200]

    async def get_object(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        obj = self.objects.get((kind, namespace, name))
        return copy.deepcopy(obj) if obj is not None else None

    async def get_provider_config(self, namespace: str, name: str) -> dict[str, Any]:
        obj = self.provider_configs.get((namespace, name))
        if obj is None:
            raise NotFoundError(f"ProviderConfig {name!r} not found in namespace {namespace!r}")
        return copy.deepcopy(obj)

    async def get_secret(self, namespace: str, name: str) -> tuple[dict[str, str], str]:
        data = self.secrets.get((namespace, name))
        if data is None:
            raise NotFoundError(f"Secret {name!r} not found in namespace {namespace!r}")
        return dict(data), f"secret-{namespace}-{name}/1"

    async def get_secret_data(self, namespace: str, name: str) -> dict[str, str]:
        data, _ = await self.get_secret(namespace, name)
        return data


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
