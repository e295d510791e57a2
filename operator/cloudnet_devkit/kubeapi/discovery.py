"""Discovery, OpenAPI and the resources the API serves, CRDs' included.

kopf watches only what discovery declares and kubectl resolves every kind
through it, so a CRD's resources appear here the moment the CRD is created
and go with it. The bottom of the test API: every other concern asks it what
a resource is (its kind, scope, subresources, printer columns).
"""

from __future__ import annotations

import collections
import copy
from collections.abc import Iterable

import aiohttp.web
import attrs
import kmock

from cloudnet_devkit.kubeapi import openapi, tables
from cloudnet_devkit.kubeapi.wire import (
    Call,
    Obj,
    StatusError,
    StoreKey,
    Target,
    json_response,
    now,
)

CR_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


def _version_priority(version: str) -> tuple[int, int, int]:
    """Kubernetes' version ordering: GA > beta > alpha, higher numbers first."""
    import re

    match = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not match:
        return (0, 0, 0)
    stage = {"alpha": 1, "beta": 2, None: 3}[match.group(2)]
    return (stage, int(match.group(1)), int(match.group(3) or 0))


@attrs.define(kw_only=True)
class Discovery(kmock.KubernetesEmulator):
    """What the API serves: kmock's bundled built-in resources plus the CRDs created."""

    _crds: dict[StoreKey, Obj] = attrs.field(factory=dict, init=False)
    _info_cache: dict[tuple[str, str, str], kmock.ResourceInfo] = attrs.field(
        factory=dict, init=False
    )

    def _serve_static(self, parts: list[str], call: Call) -> aiohttp.web.StreamResponse | None:
        if not parts:
            return json_response({"paths": self._root_paths()})
        if parts in (["healthz"], ["readyz"], ["livez"]):
            return aiohttp.web.Response(text="ok")
        if parts == ["version"]:
            return json_response(
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
            return json_response(
                {
                    "kind": "APIVersions",
                    "versions": ["v1"],
                    "serverAddressByClientCIDRs": [
                        {"clientCIDR": "0.0.0.0/0", "serverAddress": call.raw.host},
                    ],
                }
            )
        if parts == ["apis"]:
            return json_response(
                {
                    "kind": "APIGroupList",
                    "apiVersion": "v1",
                    "groups": [self._api_group(g) for g in self._groups()],
                }
            )
        if parts == ["api", "v1"]:
            return json_response(self._resource_list("", "v1"))
        if parts[0] == "apis" and len(parts) == 2:
            if parts[1] not in self._groups():
                raise StatusError(
                    404, "NotFound", "the server could not find the requested resource"
                )
            return json_response(self._api_group(parts[1]))
        if parts[0] == "apis" and len(parts) == 3:
            if parts[2] not in self._groups().get(parts[1], []):
                raise StatusError(
                    404, "NotFound", "the server could not find the requested resource"
                )
            return json_response(self._resource_list(parts[1], parts[2]))
        if parts == ["openapi", "v2"]:
            # kubectl asks for protobuf; an empty message is a valid, empty document.
            return aiohttp.web.Response(
                body=b"", content_type="application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
            )
        if parts == ["openapi", "v3"]:
            return json_response(openapi.index(self._crd_group_versions()))
        if parts[:2] == ["openapi", "v3"] and len(parts) >= 4:
            if parts[2] == "api":
                group, version = "", "v1"
            elif len(parts) == 5:
                group, version = parts[3], parts[4]
            else:
                return None
            crds = [crd for (g, _), crd in self._crds.items() if g == group]
            return json_response(openapi.group_version_document(group, version, crds))
        return None

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

    def _kind(self, target: Target, info: kmock.ResourceInfo) -> str:
        return info.kind or str(target.plural).capitalize()

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

    @staticmethod
    def _crd_status(crd: Obj) -> None:
        stamp = now()
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
                    "lastTransitionTime": stamp,
                },
                {
                    "type": "Established",
                    "status": "True",
                    "reason": "InitialNamesAccepted",
                    "message": "the initial names have been accepted",
                    "lastTransitionTime": stamp,
                },
            ],
        }
