"""The Kubernetes side as the core sees it: one resource, a few writes, no framework.

:class:`KubePort` is the whole of what the core asks of Kubernetes. Each write is
applied before it returns (the create-pending guard and "the id the moment
the cloud returns it" depend on that), and a write that fails raises
:class:`KubeError`, which stops the reconcile before any cloud write that
needed it: persist first, then act.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

FINALIZER = "cloudnet.dev/finalizer"
ANN_EXTERNAL_ID = "cloudnet.dev/external-id"
ANN_PAUSED = "cloudnet.dev/paused"
ANN_CREATE_PENDING = "cloudnet.dev/create-pending"
#: Any new value asks for an observation now (Crossplane's reconcile-requested-at).
ANN_REFRESH = "cloudnet.dev/refresh-requested-at"


class KubeError(Exception):
    """A Kubernetes read or write failed; the reconcile stops and is retried."""


class KubeGone(KubeError):
    """The resource no longer exists in Kubernetes: nothing is left to reconcile."""


@dataclass(kw_only=True)
class Resource:
    """What the core needs to know about the Kubernetes object, read fresh under the lock."""

    kind: str
    namespace: str
    name: str
    uid: str = ""
    generation: int
    annotations: Mapping[str, str]
    status: Mapping[str, Any]
    deleting: bool = False

    @property
    def ref(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"

    @property
    def paused(self) -> bool:
        return self.annotations.get(ANN_PAUSED) == "true"

    def conditions(self) -> list[Mapping[str, Any]]:
        """The conditions as a list of mappings, whatever shape the body had."""
        raw = self.status.get("conditions")
        if not isinstance(raw, list):
            return []
        return [c for c in raw if isinstance(c, Mapping)]

    def condition(self, type_: str) -> Mapping[str, Any]:
        return next((c for c in self.conditions() if c.get("type") == type_), {})


class KubePort(Protocol):
    """The Kubernetes writes the core makes, each one applied before it returns.

    A port, not a client: the core names what it needs and the handlers' KubeClient
    (or a test's fake) supplies it, so the core stays free of any Kubernetes library.
    """

    async def patch_status(self, resource: Resource, status: Mapping[str, Any]) -> None: ...

    async def patch_annotations(
        self, resource: Resource, annotations: Mapping[str, str | None]
    ) -> None: ...

    async def post_event(
        self, resource: Resource, *, warning: bool, reason: str, message: str
    ) -> None: ...


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class StatusWriter:
    """Accumulates status changes and keeps condition transition times honest."""

    resource: Resource
    kube: KubePort
    changes: dict[str, Any] = field(default_factory=dict)

    def set(self, **fields: Any) -> None:
        self.changes.update(fields)

    def condition(self, type_: str, status: bool, reason: str, message: str = "") -> None:
        current = self.changes.get("conditions")
        existing = list(current) if current is not None else self.resource.conditions()
        previous = next((c for c in existing if c.get("type") == type_), None)
        value = "True" if status else "False"
        transition = (
            previous["lastTransitionTime"]
            if previous and previous.get("status") == value and previous.get("lastTransitionTime")
            else now()
        )
        updated = {
            "type": type_,
            "status": value,
            "reason": reason,
            "message": message[:4096],
            "lastTransitionTime": transition,
            "observedGeneration": self.resource.generation,
        }
        others = [dict(c) for c in existing if c.get("type") != type_]
        self.changes["conditions"] = sorted([*others, updated], key=lambda c: str(c.get("type")))

    def pending(self) -> bool:
        """Whether any change differs from what the resource already shows."""
        return any(self.resource.status.get(k) != v for k, v in self.changes.items())

    async def flush(self) -> None:
        """Write the changes, unless every one of them is already in place."""
        if not self.changes:
            return
        drift = self.resource.status.get("drift")
        if drift is not None and not isinstance(drift, list) and "drift" not in self.changes:
            self.changes["drift"] = []  # a shape admission would refuse: written right
        if not self.pending():
            self.changes = {}
            return
        await self.kube.patch_status(self.resource, self.changes)
        # Later reads see what was written, as the API server would answer.
        self.resource.status = {**self.resource.status, **self.changes}
        self.changes = {}
