"""The provider contract, after crossplane-runtime's ExternalClient.

Every method is idempotent from the caller's point of view: ``create`` of our
own object never fails with "already exists" (the reconcile core looks the
object up by its unique key before creating again), ``delete`` of an object
already gone succeeds, and ``observe`` of an object that does not exist
returns ``exists=False`` rather than raising. Cloud errors surface as
:class:`cloudnet.clouds.errors.CloudError` with their class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from cloudnet.api.common import Phase

SpecT = TypeVar("SpecT", contravariant=True)


@dataclass(frozen=True, kw_only=True)
class Drift:
    """One spec field whose cloud value differs."""

    path: str
    desired: str | None
    observed: str | None


@dataclass(frozen=True, kw_only=True)
class Observation:
    """What the cloud holds for one object, compared with the spec."""

    exists: bool
    external_id: str | None = None
    phase: Phase | None = None
    #: the cloud's own fields, as it reported them
    observed: Mapping[str, Any] = field(default_factory=dict)
    drift: tuple[Drift, ...] = ()
    request_id: str | None = None

    @property
    def up_to_date(self) -> bool:
        return not self.drift

    @classmethod
    def gone(cls, request_id: str | None = None) -> Observation:
        return cls(exists=False, request_id=request_id)


@dataclass(frozen=True, kw_only=True)
class WriteResult:
    """The answer to a cloud write: the object's id and what the cloud said about it."""

    external_id: str | None
    request_id: str | None
    observation: Observation | None = None


class Provider(Protocol[SpecT]):
    """One cloud API, bound to one endpoint and one set of credentials."""

    name: str

    def scope(self, spec: SpecT) -> str:
        """The batch-observation scope of an object (its gateway, SAG or region)."""
        ...

    async def observe(self, spec: SpecT, external_id: str) -> Observation:
        """The object by its cloud id; ``exists=False`` when the cloud does not know it."""
        ...

    async def find(self, spec: SpecT) -> Observation:
        """The object by the provider's unique key, for the create-pending guard."""
        ...

    async def create(self, spec: SpecT) -> WriteResult: ...

    async def update(self, spec: SpecT, current: Observation) -> WriteResult:
        """Bring ``current`` (an existing object with drift) in line with ``spec``."""
        ...

    async def delete(self, spec: SpecT, external_id: str) -> WriteResult:
        """Delete; an object already gone is success."""
        ...

    async def observe_many(self, scope: str, specs: Mapping[str, SpecT]) -> dict[str, Observation]:
        """Observe every object of one scope, keyed by external id, through the list APIs."""
        ...


class EniProvider(Provider[SpecT], Protocol[SpecT]):
    """A provider of attributes on an object it never creates (an ECS ENI)."""

    def snapshot(self, observation: Observation) -> dict[str, Any]:
        """What deletion policy Restore can put back."""
        ...

    def write_only(self, spec: SpecT) -> dict[str, Any]:
        """Parameters the spec sets that no cloud answer shows."""
        ...

    def restore_params(self, spec: SpecT, original: Mapping[str, Any]) -> dict[str, Any]: ...

    async def modify(self, spec: SpecT, params: Mapping[str, Any]) -> WriteResult: ...
