"""Parts for the reconcile-core tests against the simulator (tests/unit/test_reconcile.py).

Everything on the cloud side is real: the simulator app (``create_app`` with
a :class:`~tests.sim.simkit.FakeClock`, admin on, throttling off), the
:class:`HuaweiNatClient` signing with the inventory's AK/SK, and the
:class:`HuaweiNatProvider`. The only fake is Kubernetes: :class:`RecordingKube`
applies status merge patches and annotation patches to plain dicts and
records every call, events included; the integration tests cover that
boundary against a real API server.

One :class:`Journal` holds the Kubernetes calls and the cloud requests in the
order they happened, so a test can say "the create-pending mark was written
before the create went out". :class:`Tap` is the network between operator and
simulator: it passes requests on unchanged, writes them in the journal, and
can cut the line (connection refused, or the answer lost after the cloud
committed the write).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from starlette.applications import Starlette

from cloudnet.clouds.huawei import HuaweiCredentials
from cloudnet.core.reconciler import DeletionPolicy, Policy, Reconciler
from cloudnet.core.resource import Resource
from cloudnet.providers.huawei_nat import HuaweiNatProvider
from cloudnet.providers.huawei_nat.client import HuaweiNatClient
from cloudnet.providers.huawei_nat.spec import HuaweiNatSpec
from cloudnet.sim.server import create_app
from tests.sim.simkit import AK, EIP1, GW, PORT1, PROJECT, SK, FakeClock, sim

ENDPOINT = "http://nat.cn-north-4.sim.test"
RULES_PATH = f"/v2/{PROJECT}/dnat_rules"

CREATE = "CreateNatGatewayDnatRule"
SHOW = "ShowNatGatewayDnatRule"
UPDATE = "UpdateNatGatewayDnatRule"
DELETE = "DeleteNatGatewayDnatRule"
LIST = "ListNatGatewayDnatRules"
WRITES = (CREATE, UPDATE, DELETE)

#: The spec every row starts from: GW / EIP1 / PORT1, tcp 8080 -> 80.
BASE_SPEC: dict[str, Any] = {
    "nat_gateway_id": GW,
    "floating_ip_id": EIP1,
    "port_id": PORT1,
    "protocol": "tcp",
    "internal_service_port": 80,
    "external_service_port": 8080,
}

Cut = Literal["refuse", "lose_answer"]


@dataclass(frozen=True)
class KubeCall:
    """One call the core made to Kubernetes, or one request it sent to the cloud."""

    kind: Literal["status", "annotations", "event", "cloud"]
    data: dict[str, Any]


class Journal(list[KubeCall]):
    """Kubernetes calls and cloud requests, in the order they happened."""

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [c.data for c in self if c.kind == kind]

    def index_of(self, predicate: Callable[[KubeCall], bool]) -> int:
        return next(i for i, c in enumerate(self) if predicate(c))

    def kube_writes(self) -> int:
        """Status patches, annotation patches and events: every Kubernetes write."""
        return sum(1 for c in self if c.kind != "cloud")


@dataclass(frozen=True)
class Event:
    warning: bool
    reason: str
    message: str


def merge_patch(target: dict[str, Any], patch: Mapping[str, Any]) -> None:
    """RFC 7386 JSON merge patch, as the API server applies a status patch."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(target.get(key), dict):
            merge_patch(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


class RecordingKube:
    """The KubePort protocol on dicts: what the API server would hold, and every call made."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.status: dict[str, Any] = {}
        self.annotations: dict[str, str] = {}
        self.events: list[Event] = []

    async def patch_status(self, resource: Resource, status: Mapping[str, Any]) -> None:
        self.journal.append(KubeCall("status", copy.deepcopy(dict(status))))
        merge_patch(self.status, status)

    async def patch_annotations(
        self, resource: Resource, annotations: Mapping[str, str | None]
    ) -> None:
        self.journal.append(KubeCall("annotations", dict(annotations)))
        for key, value in annotations.items():
            if value is None:
                self.annotations.pop(key, None)
            else:
                self.annotations[key] = value
        # As the real KubeApi does: the resource shows what was written.
        resource.annotations = dict(self.annotations)

    async def post_event(
        self, resource: Resource, *, warning: bool, reason: str, message: str
    ) -> None:
        self.journal.append(KubeCall("event", {"reason": reason, "warning": warning}))
        self.events.append(Event(warning=warning, reason=reason, message=message))


class Tap(httpx.AsyncBaseTransport):
    """The network to the simulator: passes requests on, journals them, can cut the line."""

    def __init__(self, app: Starlette, journal: Journal) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.journal = journal
        self.requests: list[httpx.Request] = []
        #: (method or "*", cut): every later request with this method fails this way
        self.cuts: list[tuple[str, Cut]] = []
        #: method -> something that happens in the cloud just before such a request arrives
        self.before: dict[str, Callable[[], Awaitable[None]]] = {}

    def cut(self, method: str, how: Cut) -> None:
        self.cuts.append((method, how))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        self.journal.append(KubeCall("cloud", {"method": request.method, "path": request.url.path}))
        hook = self.before.pop(request.method, None)
        if hook is not None:
            await hook()
        how = next((h for m, h in self.cuts if m in ("*", request.method)), None)
        if how == "refuse":
            raise httpx.ConnectError("connection refused", request=request)
        response = await self.inner.handle_async_request(request)
        if how == "lose_answer":
            await response.aclose()
            raise httpx.ReadError("connection reset by peer", request=request)
        return response


@dataclass
class World:
    """One simulator, the real client and provider on it, and a recording KubePort."""

    app: Starlette
    clock: FakeClock
    journal: Journal
    tap: Tap
    http: httpx.AsyncClient
    admin: httpx.AsyncClient
    provider: HuaweiNatProvider
    kube: RecordingKube
    resources: list[Resource] = field(default_factory=list)

    # --- the cloud, through the simulator's own API and admin endpoints ---------------

    async def put_rule(self, *, active: bool = True, **overrides: Any) -> str:
        """A rule made in the cloud by someone else (the base spec with overrides); its id."""
        body = {**BASE_SPEC, **overrides}
        response = await self.provider.client.create_dnat_rule(
            {k: v for k, v in body.items() if v is not None}
        )
        if active:
            self.clock.advance(5)
        return str(response.body["dnat_rule"]["id"])

    async def edit_rule(self, rule_id: str, **changes: Any) -> None:
        """Change a rule behind the API's back (drift, failure states)."""
        response = await self.admin.patch(f"/_sim/huawei/dnat_rules/{rule_id}", json=changes)
        assert response.status_code == 200, response.text

    async def rules(self) -> list[dict[str, Any]]:
        """Every DNAT rule of the main project, lifecycle transitions applied."""
        response = await self.admin.get("/_sim/state")
        projects = response.json()["inventory"]["huawei"]["projects"]
        project = next(p for p in projects if p["id"] == PROJECT)
        rules: list[dict[str, Any]] = project["dnat_rules"]
        return rules

    async def requests(self) -> list[dict[str, Any]]:
        """The simulator's request log (GET /_sim/requests), oldest first."""
        response = await self.admin.get("/_sim/requests")
        entries: list[dict[str, Any]] = response.json()["requests"]
        return entries

    async def actions(self) -> list[str]:
        return [str(e["action"]) for e in await self.requests()]

    async def fault(self, **rule: Any) -> None:
        response = await self.admin.post("/_sim/faults", json=rule)
        assert response.status_code == 201, response.text

    async def settings(self, **changes: Any) -> None:
        response = await self.admin.post("/_sim/settings", json=changes)
        assert response.status_code == 200, response.text

    async def forget(self) -> None:
        """Start the row's record here: clear the request log and the journal."""
        response = await self.admin.delete("/_sim/requests")
        assert response.status_code == 204
        self.journal.clear()
        self.kube.events.clear()

    # --- the Kubernetes side ------------------------------------------------------------

    def resource(
        self,
        *,
        status: Mapping[str, Any] | None = None,
        annotations: Mapping[str, str] | None = None,
        generation: int = 1,
        deleting: bool = False,
    ) -> Resource:
        """The DnatRule as a handler would read it; KubePort starts out holding the same."""
        self.kube.status = copy.deepcopy(dict(status or {}))
        self.kube.annotations = dict(annotations or {})
        return self.again(generation=generation, deleting=deleting)

    def again(self, *, generation: int = 1, deleting: bool = False) -> Resource:
        """The DnatRule re-read from what the recording port holds now (the next handler call)."""
        resource = Resource(
            kind="DnatRule",
            namespace="demo",
            name="web",
            uid="0d2c7d7e-5a8e-4c43-9d7e-3f1d1b6b7c11",
            generation=generation,
            annotations=dict(self.kube.annotations),
            status=copy.deepcopy(self.kube.status),
            deleting=deleting,
        )
        self.resources.append(resource)
        return resource

    def reconciler(
        self,
        resource: Resource,
        spec: HuaweiNatSpec,
        *,
        observe_only: bool = False,
        deletion: DeletionPolicy = "Delete",
        config_version: str = "",
        attempt: int = 0,
    ) -> Reconciler[HuaweiNatSpec]:
        return Reconciler(
            resource=resource,
            kube=self.kube,
            provider=self.provider,
            spec=spec,
            policy=Policy(observe_only=observe_only, deletion=deletion),
            config_version=config_version,
            attempt=attempt,
        )


def spec_of(**overrides: Any) -> HuaweiNatSpec:
    """The base spec with overrides (``None`` removes a field)."""
    fields = {k: v for k, v in {**BASE_SPEC, **overrides}.items() if v is not None}
    return HuaweiNatSpec.model_validate(fields)


def make_world(clock: FakeClock) -> World:
    """A fresh simulator (default inventory, admin on, throttling off) and the parts on it."""
    app = create_app(admin=True, clock=clock)
    sim(app).store.inventory.settings.throttle_rate = 0
    journal = Journal()
    tap = Tap(app, journal)
    http = httpx.AsyncClient(transport=tap, base_url=ENDPOINT)
    admin = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ENDPOINT)
    client = HuaweiNatClient(
        http,
        endpoint=ENDPOINT,
        project_id=PROJECT,
        credentials=HuaweiCredentials.from_aksk(AK, SK),
        clock=lambda: dt.datetime.fromtimestamp(clock(), dt.UTC),
    )
    return World(
        app=app,
        clock=clock,
        journal=journal,
        tap=tap,
        http=http,
        admin=admin,
        provider=HuaweiNatProvider(client),
        kube=RecordingKube(journal),
    )
