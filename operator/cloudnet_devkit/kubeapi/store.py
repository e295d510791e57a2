"""The objects: stored, listed, created, updated, patched and deleted as the API server does.

Objects live in dicts keyed by (group, plural) -> (namespace, name), so
10,000 of them stay fast, and are never mutated once stored (every write
stores a new dict). Every write takes the next global ``resourceVersion``
and goes into a bounded per-resource backlog of events, which both resumes
watches and rewinds the store to a chunked list's first page; watches
subscribe here and serve what arrives (watch.py).
"""

from __future__ import annotations

import asyncio
import base64
import collections
import copy
import json
import re
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp.web
import attrs
import kmock
import yaml

from cloudnet_devkit.kubeapi import patching, selectors, tables
from cloudnet_devkit.kubeapi.admission_control import AdmissionControl
from cloudnet_devkit.kubeapi.wire import (
    Call,
    Obj,
    ObjKey,
    StatusError,
    StoreKey,
    Target,
    json_response,
    now,
)

#: RFC 1123 subdomain, as apimachinery's IsDNS1123Subdomain checks it (at most 253 chars).
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
#: The kinds whose names are checked here (the others' names are taken as they come).
_CHECKED_NAMES = frozenset({("", "events")})


@dataclass(eq=False)
class Watcher:
    """A watch's subscription: every event of one resource in ``namespace`` (all if None).

    Kept by the store, which queues each event as it is written, so that no
    write can fall between a watch's replay and its live events.
    """

    namespace: str | None
    predicate: Callable[[Mapping[str, Any]], bool]
    queue: asyncio.Queue[tuple[int, str, Obj, Obj | None]] = field(default_factory=asyncio.Queue)


@attrs.define(kw_only=True)
class Store(AdmissionControl):
    """The stored objects and their history; ``watch_backlog`` bounds the history."""

    watch_backlog: int = 20000
    _store: dict[StoreKey, dict[ObjKey, Obj]] = attrs.field(factory=dict, init=False)
    _rv: int = attrs.field(default=0, init=False)
    _backlog: dict[StoreKey, collections.deque[tuple[int, str, Obj, Obj | None]]] = attrs.field(
        factory=dict, init=False
    )
    _evicted_rv: dict[StoreKey, int] = attrs.field(factory=dict, init=False)
    _watchers: dict[StoreKey, set[Watcher]] = attrs.field(factory=dict, init=False)

    def get_object(self, resource: str, namespace: str | None, name: str) -> Obj | None:
        """The stored object (``resource`` as ``group/plural`` or ``plural`` for core).

        Stored objects are never mutated once stored (every write stores a new
        dict): treat the result as read-only. From another thread, prefer
        ``ServerHandle.call(lambda api: api.get_object(...))``.
        """
        group, _, plural = resource.rpartition("/")
        return self._store.get((group, plural), {}).get((namespace, name))

    def list_objects(self, resource: str, namespace: str | None = None) -> list[Obj]:
        """Stored objects of a resource (``group/plural`` or ``plural`` for core)."""
        group, _, plural = resource.rpartition("/")
        bucket = self._store.get((group, plural), {})
        return [
            obj
            for (ns, _), obj in sorted(bucket.items(), key=lambda kv: (kv[0][0] or "", kv[0][1]))
            if namespace is None or ns == namespace
        ]

    @property
    def resource_version(self) -> int:
        return self._rv

    def _bump(self) -> str:
        self._rv += 1
        return str(self._rv)

    def _store_put(self, key: StoreKey, namespace: str | None, name: str, obj: Obj) -> None:
        obj.setdefault("metadata", {})["resourceVersion"] = self._bump()
        obj["metadata"].setdefault("uid", str(uuid.uuid4()))
        obj["metadata"].setdefault("creationTimestamp", now())
        obj["metadata"].setdefault("generation", 1)
        self._store.setdefault(key, {})[(namespace, name)] = obj

    def _emit(self, key: StoreKey, kind: str, obj: Obj, old: Obj | None = None) -> None:
        rv = int(obj["metadata"]["resourceVersion"])
        backlog = self._backlog.setdefault(key, collections.deque())
        if len(backlog) >= self.watch_backlog:
            self._evicted_rv[key] = backlog.popleft()[0]
        event = (rv, kind, obj, old)
        backlog.append(event)
        namespace = obj.get("metadata", {}).get("namespace")
        for watcher in self._watchers.get(key, ()):
            if watcher.namespace is None or watcher.namespace == namespace:
                watcher.queue.put_nowait(event)

    @staticmethod
    def _not_found(target: Target, name: str) -> StatusError:
        what = f"{target.plural}.{target.group}" if target.group else target.plural
        return StatusError(
            404,
            "NotFound",
            f'{what} "{name}" not found',
            {"name": name, "group": target.group, "kind": target.plural},
        )

    def _present(self, target: Target, obj: Obj) -> Obj:
        """The stored object as served at the requested version."""
        if obj.get("apiVersion") != target.group_version:
            obj = dict(obj, apiVersion=target.group_version)
        return obj

    # The namespace lifecycle (namespaces.py, above the store) hooks into the writes at
    # these three points; the store itself knows no namespace rules.

    def _check_namespace(self, namespace: str | None) -> None:
        """Refuse a create into ``namespace``; the store alone refuses none."""

    def _terminate_namespace(self, namespace: str) -> None:
        """Delete what a namespace being deleted holds; the store alone holds it all."""

    def _maybe_finish_namespace(self, namespace: str) -> None:
        """Remove a terminating namespace once it is empty; the store alone keeps it."""

    # ------------------------------------------------------------------ reads

    def _table(
        self,
        target: Target,
        objs: list[Obj],
        call: Call,
        resource_version: int | None = None,
        **kwargs: Any,
    ) -> Obj:
        return tables.build_table(
            objs,
            self._printer_columns(target),
            include_object=call.params.get("includeObject", "Metadata"),
            resource_version=str(self._rv if resource_version is None else resource_version),
            **kwargs,
        )

    def _select(
        self,
        target: Target,
        call: Call,
        extra_name: str | None = None,
        bucket: Mapping[ObjKey, Obj] | None = None,
    ) -> list[Obj]:
        labels = selectors.label_selector(call.params.get("labelSelector"))
        fields = selectors.field_selector(call.params.get("fieldSelector"))
        if bucket is None:
            bucket = self._store.get(target.key, {})
        name = extra_name or selectors.exact_name(call.params.get("fieldSelector"))
        if name is not None and target.namespace is not None:
            candidates = [o for o in [bucket.get((target.namespace, name))] if o is not None]
        else:
            candidates = [
                obj
                for (ns, _), obj in bucket.items()
                if target.namespace is None or ns == target.namespace
            ]
        result = [obj for obj in candidates if labels(obj) and fields(obj)]
        result.sort(key=lambda o: (o["metadata"].get("namespace") or "", o["metadata"]["name"]))
        return result

    def _list(self, target: Target, info: kmock.ResourceInfo, call: Call) -> aiohttp.web.Response:
        version, offset = self._rv, 0
        if call.params.get("continue"):
            version, offset = self._parse_continue(call.params["continue"])
        try:
            items = self._select(target, call, bucket=self._state_at(target.key, version))
        except selectors.SelectorError as exc:
            raise StatusError(400, "BadRequest", str(exc)) from exc
        limit = int(call.params.get("limit") or 0)
        token: str | None = None
        if offset:
            items = items[offset:]
        if limit and len(items) > limit:
            items, token = items[:limit], self._continue_token(version, offset + limit)
        if call.wants_table:
            return json_response(
                self._table(target, items, call, resource_version=version, continue_token=token)
            )
        metadata: Obj = {"resourceVersion": str(version)}
        if token:
            metadata["continue"] = token
        return json_response(
            {
                "kind": f"{self._kind(target, info)}List",
                "apiVersion": target.group_version,
                "metadata": metadata,
                "items": [self._present(target, obj) for obj in items],
            }
        )

    # A chunked list is one snapshot, as kube-apiserver serves it: every page shows
    # the objects at the first page's version and carries that version, so that a
    # watch from it (the list+watch of kopf and kubectl, whose pages are 500 objects)
    # brings every change made while the pages were fetched. Pages cut from the
    # current state instead would show some objects before such a change and some
    # after it, and the watch would start after all of them: the change is lost.

    @staticmethod
    def _continue_token(version: int, offset: int) -> str:
        raw = json.dumps({"rv": version, "start": offset}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode()

    @staticmethod
    def _parse_continue(token: str) -> tuple[int, int]:
        try:
            parsed = json.loads(base64.urlsafe_b64decode(token.encode()))
            return int(parsed["rv"]), int(parsed["start"])
        except (ValueError, TypeError, KeyError) as exc:
            raise StatusError(400, "BadRequest", f"invalid continue token {token!r}") from exc

    def _state_at(self, key: StoreKey, version: int) -> Mapping[ObjKey, Obj]:
        """Undoing the backlog is what lets later pages show the first page's moment.

        Past the backlog that moment is gone, and the answer is 410 as from a
        compacted etcd: the client lists again from the start.
        """
        bucket = self._store.get(key, {})
        if version >= self._rv:
            return bucket
        if version < self._evicted_rv.get(key, 0):
            raise StatusError(
                410,
                "Expired",
                "The provided continue parameter is too old to display a consistent list "
                "result. You can start a new list without the continue parameter.",
            )
        state = dict(bucket)
        for rv, kind, obj, old in reversed(self._backlog.get(key, ())):
            if rv <= version:
                break
            where = (obj["metadata"].get("namespace"), obj["metadata"]["name"])
            if kind == "ADDED" or old is None:
                state.pop(where, None)
            else:
                state[where] = old
        return state

    # ---- create

    def _body(self, call: Call) -> Obj:
        data = call.data
        if data is None and call.text:
            try:
                data = yaml.safe_load(call.text)
            except yaml.YAMLError as exc:
                raise StatusError(400, "BadRequest", f"cannot parse the body: {exc}") from exc
        if "protobuf" in call.headers.get("Content-Type", ""):
            raise StatusError(
                415,
                "UnsupportedMediaType",
                "protobuf is not supported by the test API: send JSON (manifests)",
            )
        if not isinstance(data, dict):
            raise StatusError(400, "BadRequest", "the body must be a JSON object")
        return data

    def _create(self, target: Target, info: kmock.ResourceInfo, call: Call) -> tuple[Obj, int]:
        body = copy.deepcopy(self._body(call))
        return self._create_object(target, info, body, dry_run=call.dry_run), 201

    def _create_object(
        self, target: Target, info: kmock.ResourceInfo, body: Obj, *, dry_run: bool
    ) -> Obj:
        meta = body.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise StatusError(400, "BadRequest", "metadata must be an object")
        if not meta.get("name"):
            if not meta.get("generateName"):
                raise StatusError(
                    422,
                    "Invalid",
                    "metadata.name: Required value: name or generateName is required",
                )
            alphabet = "bcdfghjklmnpqrstvwxz2456789"
            meta["name"] = meta["generateName"] + "".join(
                secrets.choice(alphabet) for _ in range(5)
            )
        namespace: str | None = None
        if info.namespaced:
            body_ns = meta.get("namespace")
            if target.namespace and body_ns and body_ns != target.namespace:
                raise StatusError(
                    400,
                    "BadRequest",
                    "the namespace of the provided object does "
                    "not match the namespace sent on the request",
                )
            namespace = target.namespace or body_ns or "default"
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        name = meta["name"]
        if target.key in _CHECKED_NAMES and not (
            isinstance(name, str) and len(name) <= 253 and _DNS_SUBDOMAIN.fullmatch(name)
        ):
            raise StatusError(
                422,
                "Invalid",
                f"metadata.name: Invalid value: {str(name)[:300]!r}: a lowercase RFC 1123 "
                "subdomain of at most 253 characters is required",
            )
        if (namespace, name) in self._store.get(target.key, {}):
            what = f"{target.plural}.{target.group}" if target.group else target.plural
            raise StatusError(
                409,
                "AlreadyExists",
                f'{what} "{name}" already exists',
                {"name": name, "group": target.group, "kind": target.plural},
            )
        self._check_namespace(namespace)
        body["apiVersion"] = target.group_version
        body["kind"] = self._kind(target, info)
        for key in (
            "uid",
            "resourceVersion",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "creationTimestamp",
            "generation",
        ):
            meta.pop(key, None)
        if self._has_status(target, info) and target.key not in (
            ("", "namespaces"),
            ("apiextensions.k8s.io", "customresourcedefinitions"),
        ):
            body.pop("status", None)
        self._normalize(target, body)
        self._admit(target, info, body, None)
        if target.key == ("", "namespaces"):
            body.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
            body["status"] = {"phase": "Active"}
            meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = name
        if target.key == ("apiextensions.k8s.io", "customresourcedefinitions"):
            self._crd_status(body)
        if dry_run:
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = now()
            meta["generation"] = 1
            return body
        self._store_put(target.key, namespace, name, body)
        if target.key == ("apiextensions.k8s.io", "customresourcedefinitions"):
            self._register_crd(body)
        self._emit(target.key, "ADDED", body)
        return self._present(target, body)

    @staticmethod
    def _normalize(target: Target, obj: Obj) -> None:
        """Kind-specific storage rules: a Secret's stringData is folded into data."""
        if target.key == ("", "secrets") and "stringData" in obj:
            string_data = obj.pop("stringData") or {}
            data = obj.get("data") or {}
            for key, value in string_data.items():
                data[key] = base64.b64encode(str(value).encode()).decode()
            obj["data"] = data

    # ---- update (PUT, PATCH, apply)

    def _existing(self, target: Target) -> Obj:
        assert target.name is not None
        obj = self._store.get(target.key, {}).get((target.namespace, target.name))
        if obj is None:
            raise self._not_found(target, target.name)
        return obj

    def _replace(self, target: Target, info: kmock.ResourceInfo, call: Call) -> Obj:
        old = self._existing(target)
        new = copy.deepcopy(self._body(call))
        new.setdefault("metadata", {})
        sent_rv = new["metadata"].get("resourceVersion")
        if not sent_rv:
            new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
        return self._commit_update(target, info, old, new, dry_run=call.dry_run)

    def _patch(self, target: Target, info: kmock.ResourceInfo, call: Call) -> tuple[Obj, int]:
        content_type = call.headers.get("Content-Type", "").split(";")[0].strip()
        assert target.name is not None
        existing = self._store.get(target.key, {}).get((target.namespace, target.name))
        if content_type == "application/apply-patch+yaml":
            body = copy.deepcopy(self._body(call))
            if existing is None:
                body.setdefault("metadata", {})["name"] = target.name
                if target.namespace:
                    body["metadata"]["namespace"] = target.namespace
                return self._create_object(target, info, body, dry_run=call.dry_run), 201
            body.get("metadata", {}).pop("resourceVersion", None)
            new = patching.merge_patch(existing, body)
        else:
            if existing is None:
                raise self._not_found(target, target.name)
            try:
                if content_type == "application/json-patch+json":
                    new = patching.json_patch(existing, call.data)
                elif content_type == "application/merge-patch+json":
                    new = patching.merge_patch(existing, self._body(call))
                elif content_type == "application/strategic-merge-patch+json":
                    new = patching.strategic_merge_patch(existing, self._body(call))
                else:
                    raise StatusError(
                        415,
                        "UnsupportedMediaType",
                        f"the patch type {content_type!r} is not supported",
                    )
            except patching.PatchError as exc:
                raise StatusError(
                    422,
                    "Invalid",
                    f"the server rejected our request due to an error in our request: {exc}",
                ) from exc
        if not isinstance(new, dict):
            raise StatusError(422, "Invalid", "the patched object is not an object")
        return self._commit_update(target, info, existing, new, dry_run=call.dry_run), 200

    def _commit_update(
        self, target: Target, info: kmock.ResourceInfo, old: Obj, new: Obj, *, dry_run: bool
    ) -> Obj:
        assert target.name is not None
        new_meta = new.setdefault("metadata", {})
        if not isinstance(new_meta, dict):
            raise StatusError(400, "BadRequest", "metadata must be an object")
        old_meta = old["metadata"]
        sent_rv = new_meta.get("resourceVersion")
        if sent_rv and sent_rv != old_meta["resourceVersion"]:
            what = f"{target.plural}.{target.group}" if target.group else target.plural
            raise StatusError(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {what} "{target.name}": the object has been '
                "modified; please apply your changes to the latest version and try again",
                {"name": target.name, "group": target.group, "kind": target.plural},
            )
        if new_meta.get("name", target.name) != target.name:
            raise StatusError(400, "BadRequest", "the name of the object does not match the URL")
        # Identity and server-owned fields never come from the client.
        new["apiVersion"], new["kind"] = old["apiVersion"], old["kind"]
        new_meta["name"] = target.name
        for owned in (
            "namespace",
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
        ):
            if owned in old_meta:
                new_meta[owned] = old_meta[owned]
            else:
                new_meta.pop(owned, None)
        has_status = self._has_status(target, info)
        if target.subresource == "status":
            status = new.get("status")
            new = copy.deepcopy(old)
            new_meta = new["metadata"]
            if status is None:
                new.pop("status", None)
            else:
                new["status"] = status
        elif has_status:
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
            else:
                new.pop("status", None)
        self._normalize(target, new)
        deleting = bool(old_meta.get("deletionTimestamp"))
        if deleting:
            added = set(new_meta.get("finalizers") or []) - set(old_meta.get("finalizers") or [])
            if added:
                raise StatusError(
                    422,
                    "Invalid",
                    "metadata.finalizers: Forbidden: no new "
                    "finalizers can be added if the object is being deleted",
                )
        if not new_meta.get("finalizers"):
            new_meta.pop("finalizers", None)
        self._admit(target, info, new, old)

        def spec_part(obj: Obj) -> Obj:
            skip = {"metadata", "status"} if has_status else {"metadata"}
            return {k: v for k, v in obj.items() if k not in skip}

        if spec_part(new) != spec_part(old):
            new_meta["generation"] = int(old_meta.get("generation", 1)) + 1
        if new == old or dry_run:
            return self._present(target, new if dry_run else old)
        key, ns = target.key, old_meta.get("namespace")
        if deleting and not new_meta.get("finalizers"):
            return self._remove(target.key, ns, target.name, new)
        new_meta["resourceVersion"] = self._bump()
        self._store[key][(ns, target.name)] = new
        if key == ("apiextensions.k8s.io", "customresourcedefinitions") and not deleting:
            self._register_crd(new)
        self._emit(key, "MODIFIED", new, old)
        return self._present(target, new)

    # ---- delete

    def _delete(self, target: Target, info: kmock.ResourceInfo, call: Call) -> Obj:
        old = self._existing(target)
        options = call.data if isinstance(call.data, dict) else {}
        preconditions = options.get("preconditions") or {}
        meta = old["metadata"]
        for field_name in ("uid", "resourceVersion"):
            wanted = preconditions.get(field_name)
            if wanted and wanted != meta.get(field_name):
                raise StatusError(
                    409,
                    "Conflict",
                    f"Precondition failed: {field_name} in "
                    f"precondition: {wanted}, {field_name} in object meta: "
                    f"{meta.get(field_name)}",
                )
        dry_run = call.dry_run or options.get("dryRun") == ["All"]
        return self._present(target, self._delete_object(target.key, old, dry_run=dry_run))

    def _delete_object(self, key: StoreKey, old: Obj, *, dry_run: bool = False) -> Obj:
        meta = old["metadata"]
        namespace, name = meta.get("namespace"), meta["name"]
        if meta.get("deletionTimestamp"):
            return old
        held = bool(meta.get("finalizers")) or key == ("", "namespaces")
        if dry_run:
            return old
        if not held:
            return self._remove(key, namespace, name, old)
        new = copy.deepcopy(old)
        new["metadata"]["deletionTimestamp"] = now()
        new["metadata"]["deletionGracePeriodSeconds"] = 0
        new["metadata"]["generation"] = int(meta.get("generation", 1)) + 1
        new["metadata"]["resourceVersion"] = self._bump()
        if key == ("", "namespaces"):
            new["status"] = {"phase": "Terminating"}
        self._store[key][(namespace, name)] = new
        self._emit(key, "MODIFIED", new, old)
        if key == ("", "namespaces"):
            self._terminate_namespace(name)
        return new

    def _remove(self, key: StoreKey, namespace: str | None, name: str, last: Obj) -> Obj:
        final = copy.deepcopy(last)
        final["metadata"]["resourceVersion"] = self._bump()
        del self._store[key][(namespace, name)]
        self._emit(key, "DELETED", final, last)
        if key == ("apiextensions.k8s.io", "customresourcedefinitions"):
            spec = final.get("spec", {})
            group, plural = spec.get("group", ""), spec.get("names", {}).get("plural", "")
            for obj in list(self._store.get((group, plural), {}).values()):
                m = obj["metadata"]
                self._remove((group, plural), m.get("namespace"), m["name"], obj)
            self._unregister_crd(group, plural)
        if namespace is not None:
            self._maybe_finish_namespace(namespace)
        return final

    def _delete_collection(self, target: Target, info: kmock.ResourceInfo, call: Call) -> Obj:
        items = self._select(target, call)
        deleted = [self._delete_object(target.key, obj, dry_run=call.dry_run) for obj in items]
        return {
            "kind": f"{self._kind(target, info)}List",
            "apiVersion": target.group_version,
            "metadata": {"resourceVersion": str(self._rv)},
            "items": [self._present(target, obj) for obj in deleted],
        }
