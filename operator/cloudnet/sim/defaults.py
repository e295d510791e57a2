"""The default inventory, assembled from the fragments the families and gateways keep.

Each family folder (and each gateway) ships its part of the default inventory as
an ``inventory.yaml`` of its own: its sections at their place in the document and
its ``settings:`` keys, with the comments a newcomer reads. The simulator's
default inventory is those fragments merged in the registry's order (the core's
first), so a new family brings its objects and knobs without an edit of a shared
YAML file; ``examples/sim-inventory.yaml`` is the same text, written by
``cloudnet sim --print-default-inventory`` (``make inventory``).

The merge is written here rather than taken from a YAML library because the
comments must survive it: PyYAML drops them, and a round-trip loader attaches a
comment to the key *before* it, so moving keys between documents moves comments
to the wrong place. The fragments are plain block YAML, so the merge works on
lines: a node that several fragments open (``settings``, ``credentials``, a
cloud's node) is opened once and their children follow in order; any other key
that two fragments both set is an error naming its path. :func:`merged_data`
gives what the merged text must parse to, and a test holds the two together.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

_KEY = re.compile(r"(?P<key>[A-Za-z_][\w-]*):(?P<rest>.*)$")


class FragmentError(ValueError):
    """Two fragments claim the same key, or a fragment is not plain block YAML."""


@dataclasses.dataclass
class _Block:
    key: str
    #: the comment lines right above the key
    comments: list[str]
    #: the key's line (``key:`` or ``key: value``)
    head: str
    #: what follows the colon on that line, its comment left out (empty for a block node)
    inline: str
    #: the lines below it, indented deeper
    body: list[str]
    source: str


def _split(lines: Sequence[str], indent: int, source: str) -> tuple[list[str], list[_Block]]:
    """The preamble (comments before a blank line, at the top of a document) and the
    keys at ``indent``, each with the comments right above it and its body."""
    preamble: list[str] = []
    blocks: list[_Block] = []
    pending: list[str] = []
    pad = " " * indent
    for line in lines:
        if not line.strip():
            if not blocks and pending:
                preamble += [*pending, ""]
                pending = []
            elif blocks and not pending:
                blocks[-1].body.append(line)
            continue
        width = len(line) - len(line.lstrip(" "))
        if width > indent:
            if pending or not blocks:
                raise FragmentError(f"{source}: an indented line with no key above: {line!r}")
            blocks[-1].body.append(line)
            continue
        if width < indent:
            raise FragmentError(f"{source}: a line less indented than its node: {line!r}")
        text = line[indent:]
        if text.startswith("#"):
            pending.append(line)
            continue
        if text.startswith("- ") and blocks and not pending:
            blocks[-1].body.append(line)  # a sequence item at the key's own indent
            continue
        match = _KEY.match(text)
        if match is None:
            raise FragmentError(f"{source}: not a `key:` line of block YAML: {line!r}")
        inline = match["rest"].split("#", 1)[0].strip()
        blocks.append(_Block(match["key"], pending, pad + text, inline, [], source))
        pending = []
    if pending:
        raise FragmentError(f"{source}: comments at the end with no key below them")
    for block in blocks:
        while block.body and not block.body[-1].strip():
            block.body.pop()
    return preamble, blocks


def _is_mapping(block: _Block) -> bool:
    if block.inline:
        return False  # a scalar or a flow value on the key's line
    firsts = [line for line in block.body if line.strip() and not line.lstrip().startswith("#")]
    return bool(firsts) and _KEY.match(firsts[0].lstrip(" ")) is not None


def _merge(parts: Sequence[tuple[str, list[str]]], indent: int, path: tuple[str, ...]) -> list[str]:
    order: list[str] = []
    found: dict[str, list[_Block]] = {}
    preambles: list[str] = []
    for source, lines in parts:
        preamble, blocks = _split(lines, indent, source)
        if preamble and (indent or preambles):
            raise FragmentError(f"{source}: only the first fragment opens with a preamble")
        preambles += preamble
        for block in blocks:
            if block.key not in found:
                order.append(block.key)
            found.setdefault(block.key, []).append(block)
    out: list[str] = list(preambles)
    for n, key in enumerate(order):
        if n and indent == 0:
            out.append("")
        blocks = found[key]
        first = blocks[0]
        if len(blocks) == 1:
            out += [*first.comments, first.head, *first.body]
            continue
        where = ".".join((*path, key))
        for block in blocks:
            if not _is_mapping(block):
                sources = ", ".join(b.source for b in blocks)
                raise FragmentError(f"{where} is set by more than one fragment ({sources})")
            if block is not first and block.comments:
                raise FragmentError(
                    f"{block.source}: {where} is opened by an earlier fragment, "
                    "which carries its comments"
                )
        out += [*first.comments, first.head]
        out += _merge([(b.source, b.body) for b in blocks], indent + 2, (*path, key))
    return out


def assemble(fragments: Sequence[tuple[str, str]]) -> str:
    """One YAML document from ``(source, text)`` fragments, their comments kept."""
    lines = _merge([(source, text.splitlines()) for source, text in fragments], 0, ())
    return "\n".join(lines) + "\n"


def merged_data(fragments: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """What :func:`assemble`'s text must parse to: the fragments' mappings merged, any
    other value set twice refused."""
    merged: dict[str, Any] = {}
    for source, text in fragments:
        data = yaml.safe_load(text) or {}
        if not isinstance(data, Mapping):
            raise FragmentError(f"{source}: a fragment is a mapping at the top")
        _merge_into(merged, data, ())
    return merged


def _merge_into(into: dict[str, Any], data: Mapping[str, Any], path: tuple[str, ...]) -> None:
    for key, value in data.items():
        if key not in into:
            into[key] = value
        elif isinstance(into[key], dict) and isinstance(value, Mapping):
            _merge_into(into[key], value, (*path, key))
        else:
            raise FragmentError(f"{'.'.join((*path, key))} is set by more than one fragment")
