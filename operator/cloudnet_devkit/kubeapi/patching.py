"""Patch semantics of the Kubernetes API: JSON merge, JSON patch, strategic merge.

kmock only merges dicts. A real API server distinguishes the patch types by
content type, and clients rely on the differences: kopf guards its finalizer
edits with a JSON-patch ``test`` of ``metadata.resourceVersion`` and expects
422 when it fails; kubectl's client-side apply sends strategic merge patches
for built-in kinds and JSON merge patches for custom resources.

Strategic merge is approximated: directives (``$patch``, ``$retainKeys``,
``$setElementOrder/…``, ``$deleteFromPrimitiveList/…``) are honoured where
cheap, lists of objects that all carry a ``name`` are merged by name, every
other list is replaced (as a JSON merge patch does).
"""

from __future__ import annotations

import copy
from typing import Any


class PatchError(Exception):
    """A patch that cannot be applied: the API answers 422 Unprocessable Entity."""


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply an RFC 7386 JSON merge patch; returns a new value, inputs untouched."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result: dict[str, Any] = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _split_pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"invalid JSON pointer: {path!r}")
    return [_unescape(token) for token in path[1:].split("/")]


def _resolve(doc: Any, tokens: list[str]) -> Any:
    node = doc
    for token in tokens:
        if isinstance(node, dict):
            if token not in node:
                raise PatchError(f"path not found: /{'/'.join(tokens)}")
            node = node[token]
        elif isinstance(node, list):
            try:
                node = node[int(token)]
            except (ValueError, IndexError) as exc:
                raise PatchError(f"bad list index {token!r}") from exc
        else:
            raise PatchError(f"cannot descend into a scalar at {token!r}")
    return node


def _add(doc: Any, tokens: list[str], value: Any) -> Any:
    if not tokens:
        return value
    parent = _resolve(doc, tokens[:-1])
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-":
            parent.append(value)
        else:
            try:
                index = int(last)
            except ValueError as exc:
                raise PatchError(f"bad list index {last!r}") from exc
            if not 0 <= index <= len(parent):
                raise PatchError(f"list index out of range: {index}")
            parent.insert(index, value)
    else:
        raise PatchError("cannot add into a scalar")
    return doc


def _remove(doc: Any, tokens: list[str]) -> Any:
    if not tokens:
        raise PatchError("cannot remove the whole document")
    parent = _resolve(doc, tokens[:-1])
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"path not found: /{'/'.join(tokens)}")
        return parent.pop(last)
    if isinstance(parent, list):
        try:
            return parent.pop(int(last))
        except (ValueError, IndexError) as exc:
            raise PatchError(f"bad list index {last!r}") from exc
    raise PatchError("cannot remove from a scalar")


def json_patch(target: Any, ops: Any) -> Any:
    """Apply an RFC 6902 JSON patch; a failed ``test`` or a bad path raises PatchError."""
    if not isinstance(ops, list):
        raise PatchError("a JSON patch must be a list of operations")
    doc = copy.deepcopy(target)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise PatchError(f"malformed operation: {op!r}")
        name, tokens = op["op"], _split_pointer(op["path"])
        if name == "add":
            doc = _add(doc, tokens, copy.deepcopy(op.get("value")))
        elif name == "remove":
            _remove(doc, tokens)
        elif name == "replace":
            _resolve(doc, tokens)  # must exist
            if tokens:
                _remove(doc, tokens)
            doc = _add(doc, tokens, copy.deepcopy(op.get("value")))
        elif name in ("move", "copy"):
            source = _split_pointer(op.get("from", ""))
            value = copy.deepcopy(_resolve(doc, source))
            if name == "move":
                _remove(doc, source)
            doc = _add(doc, tokens, value)
        elif name == "test":
            try:
                actual = _resolve(doc, tokens)
            except PatchError:
                actual = None
            if actual != op.get("value"):
                raise PatchError(
                    f"test failed at {op['path']}: expected {op.get('value')!r}, found {actual!r}"
                )
        else:
            raise PatchError(f"unknown operation {name!r}")
    return doc


def _merge_named_lists(current: list[Any], patch: list[Any]) -> list[Any]:
    result = copy.deepcopy(current)
    index = {item["name"]: pos for pos, item in enumerate(result)}
    for item in patch:
        name = item.get("name")
        if item.get("$patch") == "delete":
            if name in index:
                result = [entry for entry in result if entry.get("name") != name]
                index = {entry["name"]: pos for pos, entry in enumerate(result)}
            continue
        if name in index:
            result[index[name]] = strategic_merge_patch(result[index[name]], item)
        else:
            index[name] = len(result)
            result.append(strategic_merge_patch({}, item))
    return result


def _all_named(items: list[Any]) -> bool:
    return all(isinstance(item, dict) and "name" in item for item in items)


def strategic_merge_patch(target: Any, patch: Any) -> Any:
    """Apply a strategic merge patch, approximately (see the module docstring)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    result: dict[str, Any] = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$setElementOrder/") or key in ("$retainKeys", "$patch"):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            if isinstance(result.get(field), list) and isinstance(value, list):
                result[field] = [item for item in result[field] if item not in value]
            continue
        if value is None:
            result.pop(key, None)
        elif (
            isinstance(value, list)
            and isinstance(result.get(key), list)
            and value
            and _all_named(value)
            and _all_named(result[key])
        ):
            result[key] = _merge_named_lists(result[key], value)
        elif isinstance(value, list):
            result[key] = [
                strategic_merge_patch({}, item) if isinstance(item, dict) else copy.deepcopy(item)
                for item in value
                if not (isinstance(item, dict) and item.get("$patch") == "delete")
            ]
        else:
            merged = strategic_merge_patch(result.get(key), value)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
    return result
