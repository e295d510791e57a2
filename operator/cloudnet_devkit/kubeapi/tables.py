"""Server-side printing: meta.k8s.io/v1 Tables for ``kubectl get``.

kubectl asks for ``application/json;as=Table;v=v1;g=meta.k8s.io`` and prints
whatever columns the server chooses. A real API server builds them for
custom resources from the CRD's ``additionalPrinterColumns`` (JSONPaths) and
renders ``date`` columns as ages, so ``kubectl get dnat`` shows the phase
the operator writes. This module does the same for simple JSONPaths
(``.status.phase``, ``.spec.ports[0].port``,
``.status.conditions[?(@.type=="Ready")].status``).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from typing import Any

NAME_COLUMN: dict[str, Any] = {
    "name": "Name",
    "type": "string",
    "format": "name",
    "description": "Name must be unique within a namespace.",
    "priority": 0,
}
AGE_COLUMN: dict[str, Any] = {
    "name": "Age",
    "type": "date",
    "format": "",
    "description": "CreationTimestamp of the object.",
    "priority": 0,
    "jsonPath": ".metadata.creationTimestamp",
}

# A few built-in kinds get their familiar columns; the rest get Name + Age.
BUILTIN_COLUMNS: dict[tuple[str, str], list[dict[str, Any]]] = {
    ("", "namespaces"): [
        {"name": "Status", "type": "string", "jsonPath": ".status.phase"},
        AGE_COLUMN,
    ],
    ("", "secrets"): [
        {"name": "Type", "type": "string", "jsonPath": ".type"},
        {"name": "Data", "type": "integer", "jsonPath": ".data", "count": True},
        AGE_COLUMN,
    ],
    ("", "configmaps"): [
        {"name": "Data", "type": "integer", "jsonPath": ".data", "count": True},
        AGE_COLUMN,
    ],
    ("", "events"): [
        {"name": "Type", "type": "string", "jsonPath": ".type"},
        {"name": "Reason", "type": "string", "jsonPath": ".reason"},
        {"name": "Message", "type": "string", "jsonPath": ".message"},
        AGE_COLUMN,
    ],
}

_TOKEN_RE = re.compile(
    r"""\.(?P<field>[A-Za-z0-9_\-/$]+)"""
    r"""|\[(?P<index>-?\d+)\]"""
    r"""|\[\?\(@\.(?P<fpath>[A-Za-z0-9_.\-]+)\s*==\s*["'](?P<fvalue>[^"']*)["']\)\]"""
    r"""|\['(?P<quoted>[^']+)'\]"""
)


def jsonpath(obj: Any, path: str) -> Any:
    """Evaluate a simple JSONPath; None when any step is missing."""
    path = path.strip()
    if path.startswith("{") and path.endswith("}"):
        path = path[1:-1]
    path = path.removeprefix("$")
    nodes: list[Any] = [obj]
    pos = 0
    while pos < len(path):
        match = _TOKEN_RE.match(path, pos)
        if match is None:
            return None
        pos = match.end()
        found: list[Any] = []
        for node in nodes:
            if match.group("field") is not None or match.group("quoted") is not None:
                key = match.group("field") or match.group("quoted")
                if isinstance(node, Mapping) and key in node:
                    found.append(node[key])
            elif match.group("index") is not None:
                index = int(match.group("index"))
                if isinstance(node, list) and -len(node) <= index < len(node):
                    found.append(node[index])
            elif isinstance(node, list):
                fpath, fvalue = match.group("fpath"), match.group("fvalue")
                for item in node:
                    if str(jsonpath(item, "." + fpath)) == fvalue:
                        found.append(item)
        nodes = found
        if not nodes:
            return None
    return nodes[0] if len(nodes) == 1 else nodes


def human_duration(seconds: float) -> str:
    """Kubernetes' duration.HumanDuration, as used for ages."""
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    sec = int(seconds)
    if sec < 120:
        return f"{sec}s"
    minutes = sec // 60
    if minutes < 10:
        return f"{minutes}m{sec % 60}s" if sec % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        return f"{hours // 24 // 365}y{hours // 24 % 365}d"
    return f"{hours // 24 // 365}y"


def _age(value: Any) -> str:
    if not isinstance(value, str):
        return "<unknown>"
    try:
        then = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return human_duration((datetime.datetime.now(datetime.UTC) - then).total_seconds())


def _cell(obj: Mapping[str, Any], column: Mapping[str, Any]) -> Any:
    value = jsonpath(obj, str(column.get("jsonPath", "")))
    if column.get("count"):
        return len(value) if isinstance(value, Mapping | list) else 0
    if value is None:
        return None
    kind = column.get("type")
    if kind == "date":
        return _age(value)
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    if isinstance(value, Mapping):
        return str(dict(value))
    return value


def _definition(column: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": column["name"],
        "type": column.get("type", "string"),
        "format": column.get("format", ""),
        "description": column.get("description", ""),
        "priority": column.get("priority", 0),
    }


def build_table(
    objects: Sequence[Mapping[str, Any]],
    columns: Sequence[Mapping[str, Any]] | None,
    *,
    include_object: str = "Metadata",
    resource_version: str = "",
    with_definitions: bool = True,
    continue_token: str | None = None,
) -> dict[str, Any]:
    """A meta.k8s.io/v1 Table; ``columns`` are CRD-style printer columns (Age if None)."""
    columns = list(columns) if columns else [AGE_COLUMN]
    rows = []
    for obj in objects:
        row: dict[str, Any] = {
            "cells": [obj.get("metadata", {}).get("name")] + [_cell(obj, c) for c in columns],
        }
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj.get("metadata", {}),
            }
        rows.append(row)
    metadata: dict[str, Any] = {"resourceVersion": resource_version}
    if continue_token:
        metadata["continue"] = continue_token
    table: dict[str, Any] = {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "rows": rows,
    }
    if with_definitions:
        table["columnDefinitions"] = [NAME_COLUMN] + [_definition(c) for c in columns]
    else:
        table["columnDefinitions"] = None
    return table
