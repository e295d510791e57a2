"""The provider contract, after crossplane-runtime's ExternalClient, with declared capabilities.

Every method is idempotent from the caller's point of view: ``create`` of our
own object never fails with "already exists" (the core looks the object up by
its unique key before creating again), ``delete`` of an object already gone
succeeds, and ``observe`` of an object that does not exist returns
``exists=False`` rather than raising. Cloud errors surface as
:class:`cloudnet.api.errors.CloudException` subclasses with their class.

What differs between clouds is declared in :class:`Capabilities` rather than
discovered with ``getattr`` or special-cased by provider name in the core.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from cloudnet.api.common import Phase

SpecT = TypeVar("SpecT", contravariant=True)


@dataclass(frozen=True, kw_only=True)
class Difference:
    """One spec field whose cloud value differs.

    ``key`` is the provider's own name for the field (the cloud parameter), so
    ``update`` reads what to send from it; ``path`` is the spec path users see
    in ``status.drift``.
    """

    key: str
    path: str
    desired: str | None
    observed: str | None


@dataclass(frozen=True)
class Delta:
    """The differences between spec and cloud, computed once (ACK's ``compare.Delta``)."""

    differences: tuple[Difference, ...] = ()

    @classmethod
    def of(cls, differences: Iterable[Difference]) -> Delta:
        return cls(tuple(differences))

    def __bool__(self) -> bool:
        return bool(self.differences)

    def __iter__(self) -> Iterator[Difference]:
        return iter(self.differences)

    def __len__(self) -> int:
        return len(self.differences)

    def __add__(self, other: Delta) -> Delta:
        seen = {d.key for d in self.differences}
        return Delta(self.differences + tuple(d for d in other if d.key not in seen))

    def different_at(self, key: str) -> bool:
        return any(d.key == key for d in self.differences)

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(d.key for d in self.differences)

    @property
    def paths(self) -> list[str]:
        return [d.path for d in self.differences]


@dataclass(frozen=True, kw_only=True)
class Observation:
    """What the cloud holds for one object, compared with the spec."""

    exists: bool
    external_id: str | None = None
    phase: Phase | None = None
    #: the cloud's own fields, as it reported them
    observed: Mapping[str, Any] = field(default_factory=dict)
    delta: Delta = field(default_factory=Delta)
    request_id: str | None = None

    @property
    def up_to_date(self) -> bool:
        return not self.delta

    @classmethod
    def gone(cls, request_id: str | None = None) -> Observation:
        return cls(exists=False, request_id=request_id)


@dataclass(frozen=True, kw_only=True)
class WriteResult:
    """The answer to a cloud write: the object's id and what the cloud said about it."""

    external_id: str | None
    request_id: str | None
    observation: Observation | None = None


class UpdateStyle(enum.StrEnum):
    #: one call changes the object where it is (Huawei Update, ENS/ECS Modify)
    IN_PLACE = "InPlace"
    #: no update call: delete, then add again under the create guard (SAG)
    REPLACE = "Replace"


@dataclass(frozen=True, kw_only=True)
class Capabilities:
    """What a provider can do; the core branches on these and on nothing else."""

    update: UpdateStyle = UpdateStyle.IN_PLACE
    #: False: the object exists already, named by :meth:`Provider.identity`; never created
    #: or deleted, only its attributes are managed (an ECS ENI)
    creates: bool = True
    #: record the object's attributes (:meth:`Provider.snapshot`) before the first write,
    #: so that deletion policy Restore can put them back (:meth:`Provider.restore`)
    snapshots: bool = False
    #: some parameters are shown by no answer (:meth:`Provider.write_only`): they are
    #: sent once per spec generation
    write_only: bool = False
    #: :meth:`Provider.observe_many` shows an object as :meth:`Provider.observe` does,
    #: and :meth:`Provider.find_many` lists a scope once: concurrent reads of one scope
    #: are answered together (``cloudnet.core.batch``)
    batched_reads: bool = False


class Provider(Protocol[SpecT]):
    """One cloud API, bound to one endpoint and one set of credentials."""

    name: str
    capabilities: Capabilities

    def scope(self, spec: SpecT) -> str:
        """The batch-observation scope of an object (its gateway, SAG or region)."""
        ...

    def identity(self, spec: SpecT) -> str | None:
        """The cloud id the spec itself names (``creates=False`` providers), else None."""
        ...

    async def observe(self, spec: SpecT, external_id: str) -> Observation:
        """The object by its cloud id; ``exists=False`` when the cloud does not know it."""
        ...

    async def find(self, spec: SpecT) -> Observation:
        """The object by the provider's unique key, for the create-pending guard."""
        ...

    async def find_many(self, scope: str, specs: Sequence[SpecT]) -> list[Observation]:
        """:meth:`find` for each spec of one scope, in order, from one listing of the scope."""
        ...

    async def create(self, spec: SpecT) -> WriteResult: ...

    async def update(self, spec: SpecT, external_id: str, delta: Delta) -> WriteResult:
        """Bring the object in line with ``spec`` where ``delta`` says it differs."""
        ...

    async def delete(self, spec: SpecT, external_id: str) -> WriteResult:
        """Delete; an object already gone is success."""
        ...

    async def observe_many(self, scope: str, specs: Mapping[str, SpecT]) -> dict[str, Observation]:
        """Observe every object of one scope, keyed by external id, through the list APIs."""
        ...

    def snapshot(self, observation: Observation) -> dict[str, Any]:
        """What deletion policy Restore can put back (``snapshots`` providers)."""
        ...

    async def restore(
        self, spec: SpecT, original: Mapping[str, Any], current: Observation
    ) -> WriteResult | None:
        """Put back the recorded attributes the spec manages that ``current`` shows otherwise.

        None when ``current`` already shows every one of them: the proof that a
        Restore is done.
        """
        ...

    def write_only(self, spec: SpecT) -> Delta:
        """Parameters the spec sets that no answer shows (``write_only`` providers)."""
        ...


class ProviderBase:
    """Defaults for the optional parts of the protocol, so a provider writes only its own."""

    capabilities = Capabilities()

    def identity(self, spec: Any) -> str | None:
        return None

    async def find_many(self, scope: str, specs: Sequence[Any]) -> list[Observation]:
        find = getattr(self, "find")  # noqa: B009 - every provider defines its own
        return [await find(spec) for spec in specs]

    def snapshot(self, observation: Observation) -> dict[str, Any]:
        return {}

    async def restore(
        self, spec: Any, original: Mapping[str, Any], current: Observation
    ) -> WriteResult | None:
        return None

    def write_only(self, spec: Any) -> Delta:
        return Delta()
