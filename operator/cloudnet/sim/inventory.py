"""The simulator's world, as pydantic models of the inventory YAML, composed from the families.

The inventory names everything the simulated clouds know before the first
call (what each family's API refers to, test credentials) and the
simulator's knobs (``settings``). The same models are the persisted state:
``--state`` writes an inventory (plus the objects created through the APIs)
as JSON, so a state file is simply a newer inventory and wins over the YAML.

The models live with the families and gateways that own them; each declares
where its model sits (:class:`~cloudnet.sim.family.Section`) and which
settings it adds, and :class:`World` builds the whole document from those
fragments: the nodes between the top and the sections, and one flat
``settings`` model. The default inventory is assembled the same way, from the
``inventory.yaml`` each family keeps (:mod:`cloudnet.sim.defaults`). A new
family therefore adds its YAML section without an edit here. Unknown keys at
the top level and under ``credentials`` are kept as they are
(``extra="allow"``) so that an inventory written for a newer simulator still
loads; every other node forbids unknown keys, so typos fail
loudly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, cast

import yaml
from pydantic import BaseModel, ConfigDict, Field, create_model

from cloudnet.sim.core import CoreSettings, Strict
from cloudnet.sim.defaults import assemble
from cloudnet.sim.family import Family, Gateway, Section

#: the core's part of the default inventory: the header and the core settings
CORE_DEFAULTS = resources.files("cloudnet.sim") / "inventory.yaml"
#: nodes that keep keys they do not know: a newer simulator's clouds and credentials
OPEN_NODES: frozenset[tuple[str, ...]] = frozenset({(), ("credentials",)})


class InventoryBase(BaseModel):
    """What every composed inventory has; the composed model adds the families' sections."""

    model_config = ConfigDict(extra="allow")

    settings: CoreSettings = Field(default_factory=CoreSettings)


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


_Tree = dict[str, "Section | _Tree"]


class World:
    """The installed families and gateways, and the inventory and settings models they make."""

    def __init__(self, families: Sequence[Family]) -> None:
        self.families: tuple[Family, ...] = tuple(families)
        gateways: list[Gateway] = []
        for family in self.families:
            if family.gateway is not None and family.gateway not in gateways:
                gateways.append(family.gateway)
        self.gateways: tuple[Gateway, ...] = tuple(gateways)
        # a gateway's parts first: the credentials come before the products in the YAML
        sections = [s for g in self.gateways for s in g.sections]
        sections += [s for f in self.families for s in f.sections]
        self.paths: dict[type[BaseModel], tuple[str, ...]] = {}
        for section in sections:
            if section.model in self.paths:
                raise ValueError(f"{section.model.__name__} is placed twice in the inventory")
            self.paths[section.model] = section.path
        fragments: list[type[BaseModel]] = [CoreSettings]
        fragments += [g.settings for g in self.gateways if g.settings is not None]
        fragments += [f.settings for f in self.families if f.settings is not None]
        self.settings_model: type[CoreSettings] = _settings_model(fragments)
        self.inventory_model: type[InventoryBase] = _inventory_model(sections, self.settings_model)

    def fragments(self) -> list[tuple[str, str]]:
        """The default inventory's parts as ``(source, text)``: the core's, then each
        gateway's, then each family's, in the registry's order."""
        parts = [("cloudnet.sim", CORE_DEFAULTS)]
        parts += [(g.name, g.defaults) for g in self.gateways if g.defaults is not None]
        parts += [(f.name, f.defaults) for f in self.families if f.defaults is not None]
        return [(name, part.read_text("utf-8")) for name, part in parts]

    def default_text(self) -> str:
        """The default inventory: the fragments merged, their comments kept (the text of
        examples/sim-inventory.yaml)."""
        return assemble(self.fragments())

    def validate(self, data: Mapping[str, Any]) -> InventoryBase:
        return self.inventory_model.model_validate(data)

    def parse(self, text: str) -> InventoryBase:
        return self.validate(yaml.load(text, Loader=_SafeLoader) or {})

    def load(self, path: Path | None) -> InventoryBase:
        """Read an inventory YAML (JSON is YAML too); None means the bundled default."""
        if path is None:
            return self.parse(self.default_text())
        return self.parse(path.read_text("utf-8"))


def _settings_model(fragments: Sequence[type[BaseModel]]) -> type[CoreSettings]:
    """One flat model inheriting every fragment, so a family's own settings class types its
    reads (``isinstance(settings, ItsSettings)`` holds) while the YAML stays one section."""
    seen: dict[str, str] = {}
    for fragment in fragments:
        for name in fragment.model_fields:
            if name in seen:
                raise ValueError(f"setting {name} is declared by {seen[name]} and {fragment}")
            seen[name] = fragment.__name__
    bases = tuple(reversed(fragments))  # pydantic lists the last base's fields first
    return cast(type[CoreSettings], create_model("Settings", __base__=bases, __module__=__name__))


def _inventory_model(
    sections: Sequence[Section], settings: type[CoreSettings]
) -> type[InventoryBase]:
    tree: _Tree = {}
    for section in sections:
        node = tree
        for key in section.path[:-1]:
            child = node.setdefault(key, {})
            if isinstance(child, Section):
                raise ValueError(f"{section.path} lies inside the section {child.path}")
            node = child
        if section.path[-1] in node:
            raise ValueError(f"two sections claim {section.path}")
        node[section.path[-1]] = section
    fields = _fields((), tree)
    model: type[InventoryBase] = create_model(
        "Inventory",
        __base__=InventoryBase,
        __module__=__name__,
        settings=(settings, Field(default_factory=settings)),
        **fields,
    )
    return model


def _fields(path: tuple[str, ...], tree: _Tree) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, child in tree.items():
        if isinstance(child, Section):
            model = child.model
        else:
            name = "".join(k.title() for k in (*path, key)) + "Inventory"
            base = _Open if (*path, key) in OPEN_NODES else Strict
            model = create_model(
                name, __base__=base, __module__=__name__, **_fields((*path, key), child)
            )
        fields[key] = (model, Field(default_factory=model))
    return fields


#: libyaml's safe loader where PyYAML was built with it (the wheels are): the same
#: documents, parsed about ten times faster; each simulator app parses its inventory.
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
