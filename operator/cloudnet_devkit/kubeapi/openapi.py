"""OpenAPI documents, just enough for kubectl.

kubectl downloads OpenAPI before ``apply`` (for validation and strategic
merge metadata) and for ``explain``. Version 2 is requested as protobuf: an
empty body decodes as an empty document, which kubectl accepts and then
skips client-side validation for unknown kinds. Version 3 is JSON: an index
of group-versions, and per group-version a document built from the CRDs'
``openAPIV3Schema``, so ``kubectl explain dnatrules.spec`` shows the CRD's
own descriptions.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

OBJECT_META_REF = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

_OBJECT_META: dict[str, Any] = {
    "description": "ObjectMeta is metadata that all persisted resources must have.",
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "Name must be unique within a namespace."},
        "namespace": {
            "type": "string",
            "description": "Namespace defines the space within which each name must be unique.",
        },
        "labels": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Map of string keys and values for organizing objects.",
        },
        "annotations": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Unstructured key value map stored with a resource.",
        },
        "finalizers": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Must be empty before the object is deleted.",
        },
        "generation": {
            "type": "integer",
            "format": "int64",
            "description": "A sequence number representing a specific "
            "generation of the desired state.",
        },
        "resourceVersion": {
            "type": "string",
            "description": "An opaque value that represents the internal version of this object.",
        },
        "uid": {
            "type": "string",
            "description": "UID is the unique in time and space value for this object.",
        },
        "creationTimestamp": {
            "type": "string",
            "format": "date-time",
            "description": "When this object was created.",
        },
        "deletionTimestamp": {
            "type": "string",
            "format": "date-time",
            "description": "When this object will be deleted.",
        },
    },
}


def schema_name(group: str, version: str, kind: str) -> str:
    """The OpenAPI definition name, e.g. ``dev.cloudnet.v1alpha1.DnatRule``."""
    reversed_group = ".".join(reversed(group.split("."))) if group else "io.k8s.api.core"
    return f"{reversed_group}.{version}.{kind}"


def index(group_versions: Iterable[str]) -> dict[str, Any]:
    """The /openapi/v3 index: one entry per ``api/v1`` or ``apis/{group}/{version}``."""
    paths: dict[str, Any] = {}
    for gv in sorted(set(group_versions)):
        key = "api/v1" if gv == "v1" else f"apis/{gv}"
        digest = hashlib.sha256(gv.encode()).hexdigest()[:16].upper()
        paths[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={digest}"}
    return {"paths": paths}


def group_version_document(
    group: str, version: str, crds: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """An OpenAPI v3 document with one schema per CRD kind served at group/version."""
    schemas: dict[str, Any] = {OBJECT_META_REF: copy.deepcopy(_OBJECT_META)}
    paths: dict[str, Any] = {}
    for crd in crds:
        spec = crd.get("spec", {})
        kind = spec.get("names", {}).get("kind", "")
        plural = spec.get("names", {}).get("plural", "")
        prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
        if spec.get("scope", "Namespaced") == "Namespaced":
            prefix += "/namespaces/{namespace}"
        ref = f"#/components/schemas/{schema_name(group, version, kind)}"
        # kubectl explain finds a resource's kind through its paths' GET operations.
        for path in (f"{prefix}/{plural}", f"{prefix}/{plural}/{{name}}"):
            paths[path] = {
                "get": {
                    "description": f"read or list {kind}",
                    "x-kubernetes-group-version-kind": {
                        "group": group,
                        "version": version,
                        "kind": kind,
                    },
                    "responses": {
                        "200": {
                            "description": "OK",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": ref},
                                }
                            },
                        }
                    },
                }
            }
        for ver in spec.get("versions", []):
            if ver.get("name") != version or not ver.get("served", True):
                continue
            raw = (ver.get("schema") or {}).get("openAPIV3Schema") or {"type": "object"}
            schema = copy.deepcopy(dict(raw))
            props = schema.setdefault("properties", {})
            props.setdefault(
                "apiVersion",
                {
                    "type": "string",
                    "description": "APIVersion defines the versioned schema of this "
                    "representation of an object.",
                },
            )
            props.setdefault(
                "kind",
                {
                    "type": "string",
                    "description": "Kind is a string value representing the REST resource "
                    "this object represents.",
                },
            )
            props["metadata"] = {
                "allOf": [{"$ref": f"#/components/schemas/{OBJECT_META_REF}"}],
                "description": "Standard object's metadata.",
            }
            schema["x-kubernetes-group-version-kind"] = [
                {"group": group, "version": version, "kind": kind}
            ]
            schemas[schema_name(group, version, kind)] = schema
            list_kind = spec.get("names", {}).get("listKind") or f"{kind}List"
            schemas[schema_name(group, version, list_kind)] = {
                "type": "object",
                "description": f"{list_kind} is a list of {kind}",
                "properties": {
                    "items": {
                        "type": "array",
                        "items": {
                            "$ref": f"#/components/schemas/{schema_name(group, version, kind)}"
                        },
                    },
                },
                "x-kubernetes-group-version-kind": [
                    {"group": group, "version": version, "kind": list_kind}
                ],
            }
    return {
        "openapi": "3.0.0",
        "info": {"title": "cloudnet test Kubernetes API", "version": "v1"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def dumps(doc: Mapping[str, Any]) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()
