"""The test Kubernetes API: kmock's emulator made faithful enough for kubectl and kopf.

No kube-apiserver can run on the development and CI machines, yet the
operator must be tested against something that behaves like one: kopf
guards finalizer edits with a JSON-patch ``test`` of
``metadata.resourceVersion``, watches only what discovery declares, writes
status through ``/status``; kubectl needs discovery, OpenAPI, Tables, typed
lists, strategic merge patches and watches by field selector.

``TestKubeAPI`` subclasses ``kmock.KubernetesEmulator`` and keeps kmock's parts
that work (request parsing, bundled discovery data, the ``resources`` array,
the DSL for user-defined reactions such as fault injection) while serving the
Kubernetes semantics itself:

- objects in dicts keyed by (group, plural) → (namespace, name), so 10,000
  objects stay fast, and a bounded request history (kmock keeps and rescans
  every request it ever served);
- a global ``resourceVersion``, ``uid``, ``generation`` (spec changes only),
  ``creationTimestamp``, deletion held by finalizers, optimistic concurrency
  (409), a failed JSON-patch ``test`` answering 422;
- the status subresource, CRDs registered in discovery when they are created,
  typed lists (a chunked one is a single snapshot), label and field
  selectors, watches with resourceVersion resumption, bookmarks and
  ``sendInitialEvents`` that lose no write made while they start, PUT,
  dry-run, server-side apply (as a merge), Tables from printer columns,
  OpenAPI stubs, Secrets' ``stringData``, namespaces with cascading deletion,
  Event names checked as the API server checks them (a DNS subdomain);
- admission of custom resources: every create, update and patch (dry runs
  too, the status subresource against the status schema) is checked against
  the CRD's openAPIV3Schema and x-kubernetes-validations, transition rules
  with the old object, and refused with the API server's 422 Invalid Status
  (``details.causes`` with each field and message), so kubectl prints what it
  prints against a cluster; a CRD whose rules do not compile is refused. The
  engine is ``cloudnet_devkit.kubeapi.admission`` (what it approximates is listed
  there). Its libraries are development extras: without them (the runtime
  image) the API logs one warning and admits every object unchecked, so the
  demo still runs. ``admission=False`` turns it off on purpose.

Not implemented: pruning of unknown fields and defaulting, garbage collection
through ownerReferences, field management.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import copy
import datetime
import json
import logging
import re
import secrets
import traceback
import uuid
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp.web
import attrs
import kmock
import yaml
from kmock import ReactionMismatchError  # type: ignore[attr-defined]

from cloudnet_devkit.kubeapi import admission as validation
from cloudnet_devkit.kubeapi import openapi, patching, selectors, tables

logger = logging.getLogger(__name__)

Obj = dict[str, Any]
StoreKey = tuple[str, str]  # (group, plural)

#: RFC 1123 subdomain, as apimachinery's IsDNS1123Subdomain checks it (at most 253 chars).
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
#: The kinds whose names are checked here (the others' names are taken as they come).
_CHECKED_NAMES = frozenset({("", "events")})
ObjKey = tuple[str | None, str]  # (namespace, name)

JSON = "application/json"
CR_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
BOOKMARK_INTERVAL = 30.0
CONNECTION_CHECK_INTERVAL = 2.0


class StatusError(Exception):
    """An API error rendered as a ``v1/Status`` with the given HTTP code and reason."""

    def __init__(
        self, code: int, reason: str, message: str, details: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = dict(details or {})

    def status(self) -> Obj:
        body: Obj = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _version_priority(version: str) -> tuple[int, int, int]:
    """Kubernetes' version ordering: GA > beta > alpha, higher numbers first."""
    import re

    match = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not match:
        return (0, 0, 0)
    stage = {"alpha": 1, "beta": 2, None: 3}[match.group(2)]
    return (stage, int(match.group(1)), int(match.group(3) or 0))


@dataclass
class Target:
    """A parsed resource URL."""

    group: str
    version: str
    plural: str
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None

    @property
    def key(self) -> StoreKey:
        return (self.group, self.plural)

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


@dataclass
class Call:
    """One request as the router sees it."""

    method: str
    path: str
    params: Mapping[str, str]
    headers: Mapping[str, str]
    text: str
    data: Any
    raw: aiohttp.web.BaseRequest

    @property
    def dry_run(self) -> bool:
        return self.params.get("dryRun", "") == "All"

    @property
    def wants_table(self) -> bool:
        return "as=Table" in self.headers.get("Accept", "")


@dataclass(eq=False)
class _Watcher:
    namespace: str | None
    predicate: Callable[[Mapping[str, Any]], bool]
    queue: asyncio.Queue[tuple[int, str, Obj, Obj | None]] = field(default_factory=asyncio.Queue)


@attrs.define(kw_only=True)
class TestKubeAPI(kmock.KubernetesEmulator):
    """A Kubernetes API server in memory; see the module docstring.

    ``history_limit`` bounds the request history kept for kmock assertions;
    ``strict_namespaces`` rejects objects in namespaces that do not exist (as a
    real cluster does); ``watch_backlog`` is how many events per resource a
    watch can resume from before it gets 410 Gone; ``admission`` checks custom
    resources against their CRD's schema and rules (when its libraries are
    installed).
    """

    #: pytest collects classes named Test* from every test module that imports one
    __test__ = False

    history_limit: int = 1000
    strict_namespaces: bool = True
    watch_backlog: int = 20000
    admission: bool = True

    _store: dict[StoreKey, dict[ObjKey, Obj]] = attrs.field(factory=dict, init=False)
    _rv: int = attrs.field(default=0, init=False)
    _backlog: dict[StoreKey, collections.deque[tuple[int, str, Obj, Obj | None]]] = attrs.field(
        factory=dict, init=False
    )
    _evicted_rv: dict[StoreKey, int] = attrs.field(factory=dict, init=False)
    _watchers: dict[StoreKey, set[_Watcher]] = attrs.field(factory=dict, init=False)
    _crds: dict[StoreKey, Obj] = attrs.field(factory=dict, init=False)
    _info_cache: dict[tuple[str, str, str], kmock.ResourceInfo] = attrs.field(
        factory=dict, init=False
    )
    _validators: dict[tuple[str, str, str], validation.Validator | None] = attrs.field(
        factory=dict, init=False
    )
    _admission_unavailable: str | None = attrs.field(default=None, init=False)
    _builtin_payloads: int = attrs.field(default=0, init=False)
    _served: int = attrs.field(default=0, init=False)
    _closing: asyncio.Event = attrs.field(factory=asyncio.Event, init=False)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self._builtin_payloads = len(self._payloads)
        with warnings.catch_warnings():  # kmock 0.8 uses a deprecated importlib API
            warnings.simplefilter("ignore", DeprecationWarning)
            self.resources.load_bundled()
        for name in DEFAULT_NAMESPACES:
            self._store_put(("", "namespaces"), None, name, self._new_namespace(name))

    # ------------------------------------------------------------------ public helpers

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

    def close_watches(self) -> None:
        """End every watch stream, so that the HTTP server can stop promptly."""
        self._closing.set()

    # ------------------------------------------------------------------ request entry

    async def __call__(self, raw: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        body = await raw.read()
        try:
            text = body.decode("utf-8", errors="replace")
            try:
                data = json.loads(text) if text else None
            except ValueError:
                data = None
            path = raw.path.rstrip("/") or "/"
            target = self._target_of(path)
            call = Call(
                method=raw.method.upper(),
                path=path,
                params=dict(raw.query),
                headers=dict(raw.headers),
                text=text,
                data=data,
                raw=raw,
            )
            request = kmock.Request(
                id=self._served,
                method=raw.method,
                url=raw.url,
                params=call.params,
                headers=call.headers,
                cookies=dict(raw.cookies),
                body=body,
                text=text,
                data=data,
                action=self._action_of(call, target),
                resource=None
                if target is None
                else kmock.resource(target.group, target.version, target.plural),
                namespace=None if target is None else target.namespace,
                name=None if target is None else target.name,
                subresource=None if target is None else target.subresource,
                raw_request=raw,
            )
            self._served += 1
            self._requests.append(request)
            if len(self._requests) > 2 * self.history_limit:
                del self._requests[: -self.history_limit]
            if len(self._payloads) > self._builtin_payloads:
                reaction = await self._user_reaction(request)
                if reaction is not None:
                    return reaction
            return await self._route(call, target)
        except StatusError as exc:
            return self._json(exc.status(), exc.code)
        except Exception as exc:
            logger.exception("test Kubernetes API failed on %s %s", raw.method, raw.path_qs)
            error = StatusError(
                500, "InternalError", repr(exc), {"traceback": traceback.format_exc()}
            )
            return self._json(error.status(), 500)

    @staticmethod
    def _action_of(call: Call, target: Target | None) -> Any:
        if target is None:
            return None
        if call.method == "GET":
            if call.params.get("watch") in ("true", "1"):
                return kmock.action.WATCH
            return kmock.action.LIST if target.name is None else kmock.action.FETCH
        if call.method == "POST" and target.name is None:
            return kmock.action.CREATE
        if call.method in ("PATCH", "PUT") and target.name is not None:
            return kmock.action.UPDATE
        if call.method == "DELETE":
            return kmock.action.DELETE
        return None

    async def _user_reaction(self, request: Any) -> aiohttp.web.StreamResponse | None:
        """Serve reactions that tests added with kmock's DSL (``api['get /x'] << 500``)."""
        payloads = self._payloads[self._builtin_payloads :]
        for payload in sorted(payloads, key=lambda p: tuple(-x for x in p.priorities)):
            if payload._disabled.is_set() or request not in payload._source:
                continue
            try:
                response: aiohttp.web.StreamResponse = await payload(request)
                return response
            except ReactionMismatchError:
                payload._disabled.set()
            except NotImplementedError:
                pass
        return None

    @staticmethod
    def _json(body: Any, status: int = 200) -> aiohttp.web.Response:
        return aiohttp.web.Response(
            body=json.dumps(body, separators=(",", ":")).encode(),
            status=status,
            content_type=JSON,
        )

    # ------------------------------------------------------------------ routing

    async def _route(self, call: Call, target: Target | None) -> aiohttp.web.StreamResponse:
        if call.method == "GET":
            static = self._serve_static([part for part in call.path.split("/") if part], call)
            if static is not None:
                return static
        if target is None:
            raise StatusError(
                404,
                "NotFound",
                f"the server could not find the requested resource ({call.method} {call.path})",
            )
        return await self._serve_resource(target, call)

    def _target_of(self, path: str) -> Target | None:
        parts = [part for part in path.split("/") if part]
        if parts[:2] == ["api", "v1"] and len(parts) >= 3:
            return self._parse_target("", "v1", parts[2:])
        if parts[:1] == ["apis"] and len(parts) >= 4:
            return self._parse_target(parts[1], parts[2], parts[3:])
        return None

    @staticmethod
    def _parse_target(group: str, version: str, rest: list[str]) -> Target | None:
        namespace: str | None = None
        if (
            group == ""
            and rest[0] == "namespaces"
            and len(rest) == 3
            and rest[2] in ("status", "finalize")
        ):
            return Target(group, version, "namespaces", None, rest[1], rest[2])
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        if not rest or len(rest) > 3:
            return None
        return Target(
            group,
            version,
            rest[0],
            namespace,
            rest[1] if len(rest) > 1 else None,
            rest[2] if len(rest) > 2 else None,
        )

    def _serve_static(self, parts: list[str], call: Call) -> aiohttp.web.StreamResponse | None:
        if not parts:
            return self._json({"paths": self._root_paths()})
        if parts in (["healthz"], ["readyz"], ["livez"]):
            return aiohttp.web.Response(text="ok")
        if parts == ["version"]:
            return self._json(
                {
                    "major": "1",
                    "minor": "32",
                    "gitVersion": "v1.32.0-cloudnet-test",
                    "gitCommit": "0000000000000000000000000000000000000000",
                    "gitTreeState": "clean",
                    "buildDate": "2025-01-01T00:00:00Z",
                    "goVersion": "go1.23",
                    "compiler": "gc",
                    "platform": "linux/amd64",
                }
            )
        if parts == ["api"]:
            return self._json(
                {
                    "kind": "APIVersions",
                    "versions": ["v1"],
                    "serverAddressByClientCIDRs": [
                        {"clientCIDR": "0.0.0.0/0", "serverAddress": call.raw.host},
                    ],
                }
            )
        if parts == ["apis"]:
            return self._json(
                {
                    "kind": "APIGroupList",
                    "apiVersion": "v1",
                    "groups": [self._api_group(g) for g in self._groups()],
                }
            )
        if parts == ["api", "v1"]:
            return self._json(self._resource_list("", "v1"))
        if parts[0] == "apis" and len(parts) == 2:
            if parts[1] not in self._groups():
                raise StatusError(
                    404, "NotFound", "the server could not find the requested resource"
                )
            return self._json(self._api_group(parts[1]))
        if parts[0] == "apis" and len(parts) == 3:
            if parts[2] not in self._groups().get(parts[1], []):
                raise StatusError(
                    404, "NotFound", "the server could not find the requested resource"
                )
            return self._json(self._resource_list(parts[1], parts[2]))
        if parts == ["openapi", "v2"]:
            # kubectl asks for protobuf; an empty message is a valid, empty document.
            return aiohttp.web.Response(
                body=b"", content_type="application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
            )
        if parts == ["openapi", "v3"]:
            return self._json(openapi.index(self._crd_group_versions()))
        if parts[:2] == ["openapi", "v3"] and len(parts) >= 4:
            if parts[2] == "api":
                group, version = "", "v1"
            elif len(parts) == 5:
                group, version = parts[3], parts[4]
            else:
                return None
            crds = [crd for (g, _), crd in self._crds.items() if g == group]
            return self._json(openapi.group_version_document(group, version, crds))
        return None

    # ------------------------------------------------------------------ discovery

    def _resources_of(self) -> Iterable[tuple[kmock.resource, kmock.ResourceInfo]]:
        for res in self.resources:
            yield res, self.resources[res]

    def _groups(self) -> dict[str, list[str]]:
        groups: dict[str, set[str]] = collections.defaultdict(set)
        for res, _ in self._resources_of():
            if res.group and res.version:
                groups[res.group].add(res.version)
        return {
            group: sorted(versions, key=_version_priority, reverse=True)
            for group, versions in sorted(groups.items())
        }

    def _api_group(self, group: str) -> Obj:
        versions = self._groups()[group]
        crd = next((c for (g, _), c in self._crds.items() if g == group), None)
        preferred = versions[0]
        if crd is not None:
            storage = [v["name"] for v in crd["spec"].get("versions", []) if v.get("storage")]
            if storage and storage[0] in versions:
                preferred = storage[0]
        entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        return {
            "kind": "APIGroup",
            "apiVersion": "v1",
            "name": group,
            "versions": entries,
            "preferredVersion": {"groupVersion": f"{group}/{preferred}", "version": preferred},
        }

    def _resource_list(self, group: str, version: str) -> Obj:
        entries: list[Obj] = []
        for res, info in sorted(self._resources_of(), key=lambda ri: str(ri[0].plural)):
            if res.group != group or res.version != version:
                continue
            kind = info.kind or str(res.plural).capitalize()
            entry: Obj = {
                "name": res.plural,
                "singularName": info.singular or kind.lower(),
                "namespaced": bool(info.namespaced),
                "kind": kind,
                "verbs": sorted(info.verbs) if info.verbs else CR_VERBS,
            }
            if info.shortnames:
                entry["shortNames"] = sorted(info.shortnames)
            if info.categories:
                entry["categories"] = sorted(info.categories)
            entries.append(entry)
            for sub in sorted(info.subresources):
                entries.append(
                    {
                        "name": f"{res.plural}/{sub}",
                        "singularName": "",
                        "namespaced": bool(info.namespaced),
                        "kind": kind,
                        "verbs": ["get", "patch", "update"],
                    }
                )
        if not entries and group:
            raise StatusError(404, "NotFound", "the server could not find the requested resource")
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": f"{group}/{version}" if group else version,
            "resources": entries,
        }

    def _root_paths(self) -> list[str]:
        paths = {"/api", "/api/v1", "/apis", "/version", "/healthz", "/openapi/v2", "/openapi/v3"}
        for group, versions in self._groups().items():
            paths.add(f"/apis/{group}")
            paths.update(f"/apis/{group}/{v}" for v in versions)
        return sorted(paths)

    def _crd_group_versions(self) -> list[str]:
        return [
            f"{g}/{v['name']}"
            for (g, _), crd in self._crds.items()
            for v in crd["spec"].get("versions", [])
            if v.get("served", True)
        ]

    def _info(self, target: Target) -> kmock.ResourceInfo:
        cache_key = (target.group, target.version, target.plural)
        cached = self._info_cache.get(cache_key)
        if cached is not None:
            return cached
        res = kmock.resource(target.group, target.version, target.plural)
        if res not in self.resources:
            raise StatusError(
                404,
                "NotFound",
                "the server could not find the requested resource",
                {"group": target.group, "kind": target.plural},
            )
        info: kmock.ResourceInfo = self.resources[res]
        self._info_cache[cache_key] = info
        return info

    def _has_status(self, target: Target, info: kmock.ResourceInfo) -> bool:
        return "status" in info.subresources

    # ------------------------------------------------------------------ CRDs

    def _register_crd(self, crd: Obj) -> None:
        spec = crd.get("spec", {})
        group, names = spec.get("group", ""), spec.get("names", {})
        plural = names.get("plural", "")
        self._unregister_crd(group, plural)
        for ver in spec.get("versions", []):
            if not ver.get("served", True):
                continue
            subresources = ver.get("subresources") or {}
            self.resources[kmock.resource(group, ver["name"], plural)] = kmock.ResourceInfo(
                kind=names.get("kind"),
                singular=names.get("singular") or str(names.get("kind", "")).lower(),
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                verbs=set(CR_VERBS),
                shortnames=set(names.get("shortNames") or []),
                categories=set(names.get("categories") or []),
                subresources={sub for sub in ("status", "scale") if sub in subresources},
            )
        self._crds[(group, plural)] = crd
        self._info_cache.clear()

    def _unregister_crd(self, group: str, plural: str) -> None:
        self._info_cache.clear()
        for key in [k for k in self._validators if k[:2] == (group, plural)]:
            del self._validators[key]
        for res in [r for r in self.resources if r.group == group and r.plural == plural]:
            del self.resources[res]
        self._crds.pop((group, plural), None)

    def _printer_columns(self, target: Target) -> list[Obj] | None:
        crd = self._crds.get(target.key)
        if crd is None:
            return tables.BUILTIN_COLUMNS.get(target.key)
        for ver in crd["spec"].get("versions", []):
            if ver.get("name") == target.version and ver.get("additionalPrinterColumns"):
                return list(ver["additionalPrinterColumns"])
        return None

    # ------------------------------------------------------------------ storage

    def _bump(self) -> str:
        self._rv += 1
        return str(self._rv)

    def _store_put(self, key: StoreKey, namespace: str | None, name: str, obj: Obj) -> None:
        obj.setdefault("metadata", {})["resourceVersion"] = self._bump()
        obj["metadata"].setdefault("uid", str(uuid.uuid4()))
        obj["metadata"].setdefault("creationTimestamp", _now())
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

    def _new_namespace(self, name: str) -> Obj:
        return {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        }

    def _check_namespace(self, namespace: str | None) -> None:
        if namespace is None or not self.strict_namespaces:
            return
        ns = self._store.get(("", "namespaces"), {}).get((None, namespace))
        if ns is None:
            raise StatusError(
                404,
                "NotFound",
                f'namespaces "{namespace}" not found',
                {"name": namespace, "kind": "namespaces"},
            )
        if ns["metadata"].get("deletionTimestamp"):
            raise StatusError(
                403,
                "Forbidden",
                f"unable to create new content in namespace {namespace} because it is being "
                "terminated",
                {"name": namespace, "kind": "namespaces"},
            )

    @staticmethod
    def _not_found(target: Target, name: str) -> StatusError:
        what = f"{target.plural}.{target.group}" if target.group else target.plural
        return StatusError(
            404,
            "NotFound",
            f'{what} "{name}" not found',
            {"name": name, "group": target.group, "kind": target.plural},
        )

    def _kind(self, target: Target, info: kmock.ResourceInfo) -> str:
        return info.kind or str(target.plural).capitalize()

    def _present(self, target: Target, obj: Obj) -> Obj:
        """The stored object as served at the requested version."""
        if obj.get("apiVersion") != target.group_version:
            obj = dict(obj, apiVersion=target.group_version)
        return obj

    # ------------------------------------------------------------------ resource requests

    async def _serve_resource(self, target: Target, call: Call) -> aiohttp.web.StreamResponse:
        info = self._info(target)
        if target.namespace is not None and not info.namespaced:
            raise StatusError(404, "NotFound", "the server could not find the requested resource")
        method, watch = call.method, call.params.get("watch") in ("true", "1")
        if target.subresource is not None and target.subresource not in info.subresources:
            raise StatusError(404, "NotFound", "the server could not find the requested resource")
        if target.subresource not in (None, "status", "finalize"):
            raise StatusError(405, "MethodNotAllowed", f"{target.subresource} is not supported")
        if method == "GET" and watch:
            return await self._watch(target, info, call)
        if target.name is None:
            if method == "GET":
                return self._list(target, info, call)
            if method == "POST":
                return self._json(*self._create(target, info, call))
            if method == "DELETE":
                return self._json(self._delete_collection(target, info, call))
        else:
            if method == "GET":
                obj = self._store.get(target.key, {}).get((target.namespace, target.name))
                if obj is None:
                    raise self._not_found(target, target.name)
                if call.wants_table:
                    return self._json(self._table(target, [obj], call))
                return self._json(self._present(target, obj))
            if method == "PUT":
                return self._json(self._replace(target, info, call))
            if method == "PATCH":
                return self._json(*self._patch(target, info, call))
            if method == "DELETE":
                return self._json(self._delete(target, info, call))
        raise StatusError(405, "MethodNotAllowed", f"{method} is not supported on {call.path}")

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
            return self._json(
                self._table(target, items, call, resource_version=version, continue_token=token)
            )
        metadata: Obj = {"resourceVersion": str(version)}
        if token:
            metadata["continue"] = token
        return self._json(
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
            meta["creationTimestamp"] = _now()
            meta["generation"] = 1
            return body
        self._store_put(target.key, namespace, name, body)
        if target.key == ("apiextensions.k8s.io", "customresourcedefinitions"):
            self._register_crd(body)
        self._emit(target.key, "ADDED", body)
        return self._present(target, body)

    @staticmethod
    def _crd_status(crd: Obj) -> None:
        now = _now()
        crd["status"] = {
            "acceptedNames": copy.deepcopy(crd.get("spec", {}).get("names", {})),
            "storedVersions": [
                v["name"] for v in crd.get("spec", {}).get("versions", []) if v.get("storage")
            ],
            "conditions": [
                {
                    "type": "NamesAccepted",
                    "status": "True",
                    "reason": "NoConflicts",
                    "message": "no conflicts found",
                    "lastTransitionTime": now,
                },
                {
                    "type": "Established",
                    "status": "True",
                    "reason": "InitialNamesAccepted",
                    "message": "the initial names have been accepted",
                    "lastTransitionTime": now,
                },
            ],
        }

    @staticmethod
    def _normalize(target: Target, obj: Obj) -> None:
        """Kind-specific storage rules: a Secret's stringData is folded into data."""
        if target.key == ("", "secrets") and "stringData" in obj:
            string_data = obj.pop("stringData") or {}
            data = obj.get("data") or {}
            for key, value in string_data.items():
                data[key] = base64.b64encode(str(value).encode()).decode()
            obj["data"] = data

    # ---- admission

    def _admit(self, target: Target, info: kmock.ResourceInfo, new: Obj, old: Obj | None) -> None:
        """What a cluster refuses is refused here too, so kubectl and the operator meet it.

        Custom resources against their CRD; CRDs whose rules or patterns do not compile.
        """
        if not self.admission:
            return
        if target.key == ("apiextensions.k8s.io", "customresourcedefinitions"):
            self._admit_crd(new)
            return
        if target.key not in self._crds:
            return
        validator = self._validator(target)
        if validator is None:
            return
        if target.subresource == "status" and old is not None:
            errors = validator.validate_status(new, old)
        else:
            errors = validator.validate(new, old)
        if errors:
            self._refuse(target.group, self._kind(target, info), new, errors)

    def _admit_crd(self, crd: Obj) -> None:
        try:
            errors = validation.crd_errors(crd)
        except validation.Unavailable as exc:
            self._admission_off(exc)
            return
        if errors:
            self._refuse("apiextensions.k8s.io", "CustomResourceDefinition", crd, errors)

    @staticmethod
    def _refuse(group: str, kind: str, obj: Obj, errors: list[validation.FieldError]) -> None:
        name = str(obj.get("metadata", {}).get("name", ""))
        status = validation.invalid_status(group, kind, name, errors)
        raise StatusError(422, "Invalid", status["message"], status["details"])

    def _validator(self, target: Target) -> validation.Validator | None:
        """The requested version's compiled schema.

        Built on the version's first write, not on the CRD's apply: a version nobody
        writes costs nothing.
        """
        key = (target.group, target.plural, target.version)
        if key in self._validators:
            return self._validators[key]
        schema = validation.version_schema(self._crds[target.key], target.version)
        validator: validation.Validator | None = None
        if schema is not None:
            try:
                validator = validation.Validator(schema)
            except validation.Unavailable as exc:
                self._admission_off(exc)  # and remembered: a failed import is slow to repeat
        self._validators[key] = validator
        return validator

    def _admission_off(self, exc: validation.Unavailable) -> None:
        if self._admission_unavailable is None:
            self._admission_unavailable = str(exc)
            logger.warning("the test Kubernetes API admits custom resources unchecked: %s", exc)

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
        new["metadata"]["deletionTimestamp"] = _now()
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

    def _terminate_namespace(self, namespace: str) -> None:
        for key, bucket in list(self._store.items()):
            for (ns, _), obj in list(bucket.items()):
                if ns == namespace:
                    self._delete_object(key, obj)
        self._maybe_finish_namespace(namespace)

    def _maybe_finish_namespace(self, namespace: str) -> None:
        ns = self._store.get(("", "namespaces"), {}).get((None, namespace))
        if ns is None or not ns["metadata"].get("deletionTimestamp"):
            return
        if any(n == namespace for bucket in self._store.values() for (n, _) in bucket):
            return
        self._remove(("", "namespaces"), None, namespace, ns)

    def _delete_collection(self, target: Target, info: kmock.ResourceInfo, call: Call) -> Obj:
        items = self._select(target, call)
        deleted = [self._delete_object(target.key, obj, dry_run=call.dry_run) for obj in items]
        return {
            "kind": f"{self._kind(target, info)}List",
            "apiVersion": target.group_version,
            "metadata": {"resourceVersion": str(self._rv)},
            "items": [self._present(target, obj) for obj in deleted],
        }

    # ---- watch

    async def _watch(
        self, target: Target, info: kmock.ResourceInfo, call: Call
    ) -> aiohttp.web.StreamResponse:
        try:
            labels = selectors.label_selector(call.params.get("labelSelector"))
            fields = selectors.field_selector(call.params.get("fieldSelector"))
        except selectors.SelectorError as exc:
            raise StatusError(400, "BadRequest", str(exc)) from exc
        pinned = target.name

        def matches(obj: Mapping[str, Any]) -> bool:
            if pinned is not None and obj.get("metadata", {}).get("name") != pinned:
                return False
            return labels(obj) and fields(obj)

        since_raw = call.params.get("resourceVersion", "")
        initial = call.params.get("sendInitialEvents") == "true"
        bookmarks = call.params.get("allowWatchBookmarks") == "true"
        timeout = float(call.params.get("timeoutSeconds") or 0) or None
        as_table = call.wants_table
        # Subscribed before the replay is taken, with no await in between: every
        # write is either in the replay or queued for this watch (kmock's own watch
        # subscribes after sending its replay and loses the writes made meanwhile).
        # ``floor`` is the newest version the replay covers; queued events at or
        # below it are already in the replay and are dropped.
        watcher = _Watcher(namespace=target.namespace, predicate=matches)
        self._watchers.setdefault(target.key, set()).add(watcher)

        response = aiohttp.web.StreamResponse(status=200)
        response.content_type = JSON
        response.enable_chunked_encoding()
        first_table = True

        def render(kind: str, obj: Obj) -> bytes:
            nonlocal first_table
            payload: Obj = self._present(target, obj)
            if as_table and kind != "BOOKMARK":
                payload = tables.build_table(
                    [payload],
                    self._printer_columns(target),
                    include_object=call.params.get("includeObject", "Metadata"),
                    resource_version=obj["metadata"]["resourceVersion"],
                    with_definitions=first_table,
                )
                first_table = False
            return (
                json.dumps({"type": kind, "object": payload}, separators=(",", ":")).encode()
                + b"\n"
            )

        def bookmark(extra: Mapping[str, str] | None = None) -> bytes:
            meta: Obj = {"resourceVersion": str(self._rv)}
            if extra:
                meta["annotations"] = dict(extra)
            obj = {
                "kind": self._kind(target, info),
                "apiVersion": target.group_version,
                "metadata": meta,
            }
            return json.dumps({"type": "BOOKMARK", "object": obj}).encode() + b"\n"

        try:
            floor = self._rv
            chunks: list[bytes] = []
            if since_raw in ("", "0") or initial:
                for obj in self._select(target, call, extra_name=pinned):
                    chunks.append(render("ADDED", obj))
                if initial and bookmarks:
                    chunks.append(bookmark({"k8s.io/initial-events-end": "true"}))
            else:
                try:
                    since = int(since_raw)
                except ValueError as exc:
                    raise StatusError(
                        400, "BadRequest", f"invalid resourceVersion {since_raw!r}"
                    ) from exc
                if since < self._evicted_rv.get(target.key, 0):
                    gone = StatusError(410, "Expired", f"too old resource version: {since}")
                    chunks.append(
                        json.dumps({"type": "ERROR", "object": gone.status()}).encode() + b"\n"
                    )
                    await response.prepare(call.raw)
                    await response.write(b"".join(chunks))
                    await response.write_eof()
                    return response
                for rv, kind, obj, old in self._backlog.get(target.key, ()):
                    if rv > since:
                        ns = obj["metadata"].get("namespace")
                        if target.namespace is None or ns == target.namespace:
                            translated = self._translate(kind, obj, old, matches)
                            if translated:
                                chunks.append(render(translated, obj))
                # A version not reached yet still means "what follows it" (as etcd
                # and the watch cache treat it), not "from now".
                floor = max(floor, since)
            await response.prepare(call.raw)
            if chunks:
                await response.write(b"".join(chunks))
            else:
                await response.write(b"")
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout if timeout else None
            closing = asyncio.ensure_future(self._closing.wait())
            last_write = loop.time()
            try:
                while not self._closing.is_set():
                    transport = call.raw.transport
                    if transport is None or transport.is_closing():
                        break
                    wait = CONNECTION_CHECK_INTERVAL
                    if deadline is not None:
                        wait = min(wait, deadline - loop.time())
                        if wait <= 0:
                            break
                    getter = asyncio.ensure_future(watcher.queue.get())
                    done, _ = await asyncio.wait(
                        {getter, closing}, timeout=wait, return_when=asyncio.FIRST_COMPLETED
                    )
                    batch: list[tuple[int, str, Obj, Obj | None]] = []
                    if getter in done:
                        batch.append(getter.result())
                    else:
                        # Not done, so it has taken nothing: any item stays queued.
                        getter.cancel()
                    # A write can land after the wait timed out and before this task
                    # resumed; its event is queued but was not seen by the wait.
                    while not watcher.queue.empty():
                        batch.append(watcher.queue.get_nowait())
                    if not batch:
                        # The queue is empty and no await separates the check from the
                        # bookmark, so every event up to the bookmark's version has been
                        # written: a client resuming from it (kopf does) misses nothing.
                        # Below ``floor`` it would send a client back before its start.
                        idle = loop.time() - last_write
                        if (
                            bookmarks
                            and not self._closing.is_set()
                            and idle > BOOKMARK_INTERVAL
                            and self._rv >= floor
                        ):
                            await response.write(bookmark())
                            last_write = loop.time()
                        continue
                    last_write = loop.time()
                    out: list[bytes] = []
                    for rv, kind, obj, old in batch:
                        if rv <= floor:
                            continue
                        translated = self._translate(kind, obj, old, matches)
                        if translated:
                            out.append(render(translated, obj))
                    if out:
                        await response.write(b"".join(out))
            finally:
                closing.cancel()
            await response.write_eof()
        except ConnectionResetError:
            pass
        finally:
            self._watchers[target.key].discard(watcher)
        return response

    @staticmethod
    def _translate(
        kind: str, obj: Obj, old: Obj | None, matches: Callable[[Mapping[str, Any]], bool]
    ) -> str | None:
        """The event a selective watch sees: objects entering/leaving the selection."""
        now = matches(obj)
        if kind != "MODIFIED":
            return kind if now or (old is not None and matches(old)) else None
        before = old is not None and matches(old)
        if now and before:
            return "MODIFIED"
        if now:
            return "ADDED"
        if before:
            return "DELETED"
        return None
