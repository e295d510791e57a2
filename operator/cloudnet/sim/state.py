"""The simulator's in-memory store and its JSON persistence.

One :class:`Store` holds the inventory, the families' :class:`Tables`
(indexes over their sections) and the gateways' run-time state. Every API
family reads and mutates the store and then calls :meth:`Store.commit`,
which folds the tables back into the inventory and writes the whole of it to
the ``--state`` file (if any) before the answer leaves: a write the
simulator acknowledged, or held back by a fault, survives a restart. Writes
are atomic (temporary file in the same directory, fsync, ``os.replace``), so
a crash mid-write leaves the previous state intact.

An existing state file wins over the inventory YAML:
restarting with ``--state`` continues where the last run stopped.

The store knows no family: a family finds its section by its model
(:meth:`Store.section`), its settings by its settings class and its indexes
by their class, so the types of what it reads are its own.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, cast

from pydantic import BaseModel

from cloudnet.sim.core import CoreSettings
from cloudnet.sim.inventory import InventoryBase, World

STATE_FORMAT_VERSION = 1

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T", bound="Tables")
G = TypeVar("G")


class Tables:
    """A family's indexes over its sections, built when the store opens.

    Why: lookups by id over inventory lists are a scan per request; a family
    that creates objects through its API keeps them in tables and writes them
    back into its section in :meth:`fold`, which the store calls before every
    write of the state file.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def fold(self) -> None:
        """Write the tables back into the family's sections (nothing to do by default)."""


class Store:
    """The simulated world plus lookup indexes; the only owner of the state file."""

    def __init__(
        self,
        inventory: InventoryBase,
        *,
        world: World,
        state_path: Path | None = None,
    ) -> None:
        self.world = world
        self.inventory = inventory
        self.state_path = state_path
        #: run-time state shared by the APIs of one gateway (nonces, lockouts); not persisted
        self._shared: dict[Callable[[Store], object], object] = {}
        self._tables: dict[type[Tables], Tables] = {}
        for family in self.world.families:
            if family.tables is not None:
                self._tables[family.tables] = family.tables(self)

    # -- what the families read ----------------------------------------------------------

    @property
    def settings(self) -> CoreSettings:
        return self.inventory.settings

    def settings_of(self, model: type[M]) -> M:
        """The settings typed as one family's (or gateway's) fragment of them."""
        settings = self.inventory.settings
        if not isinstance(settings, model):
            raise TypeError(f"{model.__name__} is not among the installed settings")
        return settings

    def section(self, model: type[M]) -> M:
        """The inventory object a family placed at its section's path."""
        node: object = self.inventory
        for key in self.world.paths[model]:
            node = getattr(node, key)
        return cast(M, node)

    def tables(self, kind: type[T]) -> T:
        return cast(T, self._tables[kind])

    def shared(self, factory: Callable[[Store], G]) -> G:
        """The one instance of ``factory`` for this store (a gateway the families share)."""
        if factory not in self._shared:
            self._shared[factory] = factory(self)
        return cast(G, self._shared[factory])

    # -- loading and saving ------------------------------------------------------------------

    @classmethod
    def open(
        cls, world: World, *, inventory: Path | InventoryBase | None, state: Path | None
    ) -> Store:
        """The state file if it exists, else the inventory: a YAML file, one already
        parsed, or None for the bundled default. ``world`` is the installed families'
        (the server passes the registry's), so the store names none of them."""
        if state is not None and state.exists():
            data = json.loads(state.read_text("utf-8"))
            parsed = world.validate(data["inventory"])
        elif isinstance(inventory, InventoryBase):
            parsed = inventory
        else:
            parsed = world.load(inventory)
        store = cls(parsed, world=world, state_path=state)
        if state is not None and not state.exists():
            store.commit()
        return store

    def snapshot(self) -> InventoryBase:
        """The inventory with the families' tables folded back into it."""
        for tables in self._tables.values():
            tables.fold()
        return self.inventory

    def dump(self) -> dict[str, object]:
        return {
            "version": STATE_FORMAT_VERSION,
            "inventory": self.snapshot().model_dump(mode="json"),
        }

    def commit(self) -> None:
        """Persist the whole state atomically (no-op without ``--state``)."""
        if self.state_path is None:
            return
        payload = json.dumps(self.dump(), indent=1, sort_keys=False).encode()
        directory = self.state_path.parent
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=self.state_path.name + ".", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.state_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
