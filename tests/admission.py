"""An offline stand-in for the API server's admission of a CRD's schema and CEL rules.

There is no kube-apiserver here (shared/TESTING.md), so the tests check the
generated openAPIV3Schema with ``jsonschema`` (format checker on, patterns
proven RE2-compatible with ``google-re2``) and evaluate every
``x-kubernetes-validations`` rule with ``celpy``. Kubernetes' CEL adds
library functions that standard CEL lacks; the ones our rules use are
registered here with the semantics of the Kubernetes documentation.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import celpy
import jsonschema
import re2
from celpy import celtypes

_MISSING = object()


def _split(value: Any, sep: Any) -> celtypes.ListType:
    # Kubernetes strings library: '<string>.split(<string>) -> <list<string>>'.
    return celtypes.ListType([celtypes.StringType(p) for p in str(value).split(str(sep))])


K8S_FUNCTIONS = {"split": _split}


@cache
def _program(rule: str) -> Any:
    env = celpy.Environment()
    return env.program(env.compile(rule), functions=K8S_FUNCTIONS)


def schema_errors(schema: dict[str, Any], obj: Any) -> list[str]:
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    return [
        f"{'.'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
        for e in validator.iter_errors(obj)
    ]


def cel_errors(schema: dict[str, Any], obj: Any, old: Any = _MISSING, path: str = "") -> list[str]:
    """Evaluate the rules top-down like the API server; transition rules only with an old value."""
    errors: list[str] = []
    for entry in schema.get("x-kubernetes-validations", []):
        rule = entry["rule"]
        if "oldSelf" in rule and old is _MISSING:
            continue
        activation = {"self": celpy.json_to_cel(obj)}
        if old is not _MISSING:
            activation["oldSelf"] = celpy.json_to_cel(old)
        try:
            result = _program(rule).evaluate(activation)
        except Exception as exc:  # a CEL runtime error rejects the object too
            errors.append(f"{path or '<root>'}: {entry['message']} ({exc})")
            continue
        if isinstance(result, celpy.CELEvalError) or not bool(result):
            errors.append(f"{path or '<root>'}: {entry['message']}")
    if isinstance(obj, dict):
        for key, sub in schema.get("properties", {}).items():
            if key in obj:
                sub_old = old.get(key, _MISSING) if isinstance(old, dict) else _MISSING
                errors += cel_errors(sub, obj[key], sub_old, f"{path}.{key}" if path else key)
    if isinstance(obj, list) and "items" in schema:
        for i, item in enumerate(obj):
            errors += cel_errors(schema["items"], item, _MISSING, f"{path}[{i}]")
    return errors


def admit(crd: dict[str, Any], obj: dict[str, Any], old: dict[str, Any] | None = None) -> list[str]:
    """All reasons the API server would reject ``obj`` (an update when ``old`` is given)."""
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    errors = schema_errors(schema, obj)
    if errors:  # the API server stops at schema errors before running CEL
        return errors
    return cel_errors(schema, obj, _MISSING if old is None else old)


def walk_patterns(schema: Any) -> list[str]:
    found: list[str] = []
    if isinstance(schema, dict):
        if isinstance(schema.get("pattern"), str):
            found.append(schema["pattern"])
        for value in schema.values():
            found += walk_patterns(value)
    elif isinstance(schema, list):
        for value in schema:
            found += walk_patterns(value)
    return found


def re2_compiles(pattern: str) -> bool:
    try:
        re2.compile(pattern)
    except re2.error:
        return False
    return True
