"""Generate the CRD YAML from the pydantic models (``cloudnet crds``).

pydantic's JSON schema is close to a Kubernetes structural schema but not
equal: it uses ``$ref``/``$defs``, ``anyOf`` with ``null`` for optional
fields, ``title`` and ``default`` keys, and ``additionalProperties`` booleans.
:func:`structural` rewrites those so that a real API server accepts the
CRD; ``tests/core/test_crds.py`` fails when ``crds/`` differs from this output.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from cloudnet.api.common import GROUP, VERSION, ResourceStatus
from cloudnet.api.provider_config import ProviderConfigStatus

_DROP = {"title", "default"}


def structural(schema: dict[str, Any], defs: dict[str, Any] | None = None) -> dict[str, Any]:
    """Inline refs, fold optional ``anyOf [X, null]`` into X, drop titles and defaults."""
    defs = schema.get("$defs", {}) if defs is None else defs
    node = {k: v for k, v in schema.items() if k not in _DROP and k != "$defs"}
    if "$ref" in node:
        target = defs[node.pop("$ref").rsplit("/", 1)[-1]]
        node = _merge(structural(target, defs), node)
    if "anyOf" in node:
        branches = [b for b in node["anyOf"] if b.get("type") != "null"]
        if len(branches) == 1:
            del node["anyOf"]
            node = _merge(structural(branches[0], defs), node)
        else:
            node["anyOf"] = [structural(b, defs) for b in branches]
    if "properties" in node:
        node["properties"] = {k: structural(v, defs) for k, v in node["properties"].items()}
    if isinstance(node.get("items"), dict):
        node["items"] = structural(node["items"], defs)
    if isinstance(node.get("additionalProperties"), bool):
        # Kubernetes prunes unknown fields itself and forbids `false` in structural schemas.
        del node["additionalProperties"]
    elif isinstance(node.get("additionalProperties"), dict):
        node["additionalProperties"] = structural(node["additionalProperties"], defs)
    if (
        node.get("type") == "object"
        and "properties" not in node
        and "additionalProperties" not in node
    ):
        node["x-kubernetes-preserve-unknown-fields"] = True
    return node


def _merge(inner: dict[str, Any], outer: dict[str, Any]) -> dict[str, Any]:
    merged = {**inner, **{k: v for k, v in outer.items() if k != "x-kubernetes-validations"}}
    rules = inner.get("x-kubernetes-validations", []) + outer.get("x-kubernetes-validations", [])
    if rules:
        merged["x-kubernetes-validations"] = rules
    return merged


def model_schema(model: type[BaseModel]) -> dict[str, Any]:
    return structural(model.model_json_schema(by_alias=True, mode="validation"))


def _resource_schema(
    description: str, spec: type[BaseModel], status: type[BaseModel] | None
) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "apiVersion": {"type": "string", "description": "APIVersion of this object."},
        "kind": {"type": "string", "description": "Kind of this object."},
        "metadata": {"type": "object"},
        "spec": model_schema(spec),
    }
    if status is not None:
        properties["status"] = model_schema(status)
    return {
        "type": "object",
        "description": description,
        "required": ["spec"],
        "properties": properties,
    }


@dataclass(frozen=True, kw_only=True)
class KindSchema:
    """One kind's CRD: its names, its models and its printer columns."""

    kind: str
    plural: str
    short_names: Sequence[str]
    description: str
    spec: type[BaseModel]
    status: type[BaseModel] | None
    columns: Sequence[dict[str, Any]] = field(default_factory=tuple)


def crd(schema: KindSchema) -> dict[str, Any]:
    """The CustomResourceDefinition of one kind."""
    kind, plural, status = schema.kind, schema.plural, schema.status
    version: dict[str, Any] = {
        "name": VERSION,
        "served": True,
        "storage": True,
        "schema": {"openAPIV3Schema": _resource_schema(schema.description, schema.spec, status)},
        "additionalPrinterColumns": list(schema.columns),
    }
    if status is not None:
        version["subresources"] = {"status": {}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": kind,
                "listKind": f"{kind}List",
                "plural": plural,
                "singular": kind.lower(),
                "shortNames": list(schema.short_names),
                "categories": ["cloudnet"],
            },
            "versions": [version],
        },
    }


_AGE = {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
_PHASE = {"name": "Phase", "type": "string", "jsonPath": ".status.phase"}
_READY = {
    "name": "Ready",
    "type": "string",
    "jsonPath": '.status.conditions[?(@.type=="Ready")].status',
}
#: The printer columns every managed kind shows: its phase, Ready and age.
PHASE_COLUMN, READY_COLUMN, AGE_COLUMN = _PHASE, _READY, _AGE


def dnat_rule_schema(spec: type[BaseModel]) -> KindSchema:
    """The DnatRule kind, with the spec model put together from the providers' blocks."""
    return KindSchema(
        kind="DnatRule",
        plural="dnatrules",
        short_names=["dnat"],
        description=(
            "A DNAT (port-forwarding) rule on a cloud NAT gateway, kept in line with the "
            "cloud by cloudnet-operator."
        ),
        spec=spec,
        status=ResourceStatus,
        columns=[
            _PHASE,
            {"name": "External-ID", "type": "string", "jsonPath": ".status.externalId"},
            _READY,
            _AGE,
        ],
    )


def provider_config_schema(spec: type[BaseModel]) -> KindSchema:
    """The ProviderConfig kind, with the spec model of the installed providers."""
    return KindSchema(
        kind="ProviderConfig",
        plural="providerconfigs",
        short_names=["cnpc"],
        description="Which cloud API, region and endpoint, and the Secret with credentials.",
        spec=spec,
        status=ProviderConfigStatus,
        columns=[
            {"name": "Provider", "type": "string", "jsonPath": ".spec.provider"},
            {"name": "Region", "type": "string", "jsonPath": ".spec.region"},
            _READY,
            {"name": "Users", "type": "integer", "jsonPath": ".status.userCount"},
            _AGE,
            # -o wide only: usually absent (the cloud's public endpoint)
            {
                "name": "Endpoint",
                "type": "string",
                "jsonPath": ".spec.endpoint",
                "priority": 1,
            },
        ],
    )


def build_crds(kinds: Sequence[KindSchema]) -> dict[str, dict[str, Any]]:
    """File name → CRD object, for every kind."""
    return {f"{GROUP}_{k.plural}.yaml": crd(k) for k in kinds}


HEADER = "# Generated by `cloudnet crds` from the models in operator/cloudnet; do not edit.\n"


def render(crd: dict[str, Any]) -> str:
    return HEADER + yaml.safe_dump(copy.deepcopy(crd), sort_keys=False, width=100)


def write_crds(output: Path, kinds: Sequence[KindSchema]) -> list[Path]:
    output.mkdir(parents=True, exist_ok=True)
    written = []
    for name, body in build_crds(kinds).items():
        path = output / name
        path.write_text(render(body))
        written.append(path)
    return written
