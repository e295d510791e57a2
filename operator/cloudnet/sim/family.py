"""What a simulator family tells the shared modules about itself.

A family is one folder under ``sim/families/`` (its world, routes, auth,
admin edits and inventory fragment) ending in a ``FAMILY = Family(...)``
description, and one line in ``sim/registry.py``. The shared modules (server,
admin, inventory, store) read only these descriptions, so adding a cloud API
never edits them; a family's knowledge stays in its folder.

A :class:`Gateway` is the front door several families of one cloud share
(its credentials, signatures, error bodies, the answer for requests none of
its products claims). Families name theirs; the shared modules take each
gateway's parts once, however many families sit behind it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, MutableMapping, Sequence
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from starlette.responses import Response

from cloudnet.sim.core import ApiFamily, SimError

if TYPE_CHECKING:
    from cloudnet.sim.state import Store, Tables


@dataclasses.dataclass(frozen=True)
class Section:
    """Where one model sits in the inventory YAML (``("cloud", "product")``: ``cloud.product``).

    Paths are how the YAML stays as it was while its models live with their
    families: the inventory module builds the nodes above the sections.
    """

    path: tuple[str, ...]
    model: type[BaseModel]


@dataclasses.dataclass(frozen=True)
class Edits:
    """The admin endpoint ``PATCH /_sim/<path>/{kind}/{object_id}`` of one family.

    Tests and demos make drift and failure states the APIs cannot make. Objects
    in ``tables`` (made through the API, indexed by the family's tables) are
    replaced whole, so the indexes follow; the others, found by ``find``, are
    inventory objects edited in place.
    """

    path: str
    kinds: tuple[str, ...]
    find: Callable[[Store, str, str], BaseModel | None]
    tables: Callable[[Store], dict[str, MutableMapping[str, Any]]] = lambda store: {}
    #: how a 404 names the object ("XYZ " -> "no XYZ widgets object ...")
    label: str = ""


@dataclasses.dataclass(frozen=True)
class Gateway:
    """A cloud's API gateway, shared by the families behind it."""

    name: str
    #: the gateway's own parts of the inventory (the cloud's credentials)
    sections: tuple[Section, ...] = ()
    settings: type[BaseModel] | None = None
    #: its part of the default inventory (``<gateway>.inventory.yaml``: the credentials)
    defaults: Traversable | None = None
    #: an API tried after every family's: what no product of this cloud claimed
    fallback: Callable[[Store], ApiFamily] | None = None
    #: the answer to a request no API claims at all (error for the log, response);
    #: the first registered gateway that has one gives it
    unrouted: Callable[[str], tuple[SimError, Response]] | None = None


@dataclasses.dataclass(frozen=True)
class Family:
    """One simulated API family, as its folder describes it to the shared modules."""

    #: the folder's name (``families/<name>/``); the log names its APIs by ``ApiFamily.name``
    name: str
    #: the routable APIs of the family, bound to one store
    apis: Callable[[Store], Sequence[ApiFamily]]
    gateway: Gateway | None = None
    #: the family's parts of the inventory YAML
    sections: tuple[Section, ...] = ()
    #: its knobs: a model whose fields join the flat ``settings:`` section
    settings: type[BaseModel] | None = None
    #: its part of the default inventory (its folder's ``inventory.yaml``): its sections'
    #: objects and its settings, with their comments
    defaults: Traversable | None = None
    #: indexes over its sections, kept by the store and folded back on every commit
    tables: type[Tables] | None = None
    #: applies the lifecycle transitions that are due (True if any); the admin endpoints
    #: settle before they show or edit the world
    settle: Callable[[Store, float], bool] | None = None
    edits: Edits | None = None
