"""Label and field selectors, as list and watch requests pass them.

kmock ignores ``labelSelector`` and ``fieldSelector``; kubectl relies on them
(``kubectl get -l``, ``kubectl wait`` and ``kubectl delete --wait`` watch a
single object through ``fieldSelector=metadata.name=…``, ``kubectl describe``
lists Events by ``involvedObject.*``), and so can an operator's label filters.
Field selectors accept any dotted path, which is more than a real API server
allows but never less.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Predicate = Callable[[Mapping[str, Any]], bool]

_SET_RE = re.compile(r"^\s*([^\s!=]+)\s+(in|notin)\s+\((.*)\)\s*$")


def _split_terms(selector: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    terms: list[str] = []
    depth, start = 0, 0
    for pos, char in enumerate(selector):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            terms.append(selector[start:pos])
            start = pos + 1
    terms.append(selector[start:])
    return [term.strip() for term in terms if term.strip()]


class SelectorError(ValueError):
    """An unparseable selector: the API answers 400 Bad Request."""


def _label_term(term: str) -> Predicate:
    match = _SET_RE.match(term)
    if match:
        key, op, raw = match.groups()
        values = {value.strip() for value in raw.split(",") if value.strip()}
        if op == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    for op in ("!=", "==", "="):
        if op in term:
            key, value = (part.strip() for part in term.split(op, 1))
            if op == "!=":
                return lambda labels: labels.get(key) != value
            return lambda labels: labels.get(key) == value
    if term.startswith("!"):
        key = term[1:].strip()
        return lambda labels: key not in labels
    if re.fullmatch(r"[A-Za-z0-9_./-]+", term):
        return lambda labels: term in labels
    raise SelectorError(f"unparseable label selector term: {term!r}")


def label_selector(selector: str | None) -> Predicate:
    """A predicate on an object's ``metadata.labels``."""
    if not selector:
        return lambda obj: True
    terms = [_label_term(term) for term in _split_terms(selector)]

    def check(obj: Mapping[str, Any]) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return all(term(labels) for term in terms)

    return check


def field_value(obj: Mapping[str, Any], path: str) -> str:
    """The string form of a dotted field, as field selectors compare it ("" if absent)."""
    node: Any = obj
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return ""
        node = node[part]
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    return str(node)


def field_selector(selector: str | None) -> Predicate:
    """A predicate on arbitrary dotted fields: ``a.b=c``, ``a.b==c``, ``a.b!=c``."""
    if not selector:
        return lambda obj: True
    checks: list[tuple[str, str, bool]] = []
    for term in _split_terms(selector):
        for op in ("!=", "==", "="):
            if op in term:
                path, value = (part.strip() for part in term.split(op, 1))
                checks.append((path, value, op != "!="))
                break
        else:
            raise SelectorError(f"unparseable field selector term: {term!r}")

    def check(obj: Mapping[str, Any]) -> bool:
        return all((field_value(obj, path) == value) == equal for path, value, equal in checks)

    return check


def exact_name(selector: str | None) -> str | None:
    """The name a field selector pins (``metadata.name=x``), for a direct lookup."""
    if not selector:
        return None
    for term in _split_terms(selector):
        for op in ("==", "="):
            if op in term and "!=" not in term:
                path, value = (part.strip() for part in term.split(op, 1))
                if path == "metadata.name":
                    return value
    return None
