"""The world the invariant suite drives: simulator, network tap, Kubernetes store, operator.

Everything on the operator's side is real: ``reconcile_object`` /
``delete_object`` / ``check_once`` from the handlers, the reconcile core, the
providers from :class:`~cloudnet.registry.ProviderRegistry`, the
httpx clients with their signers. The cloud is the simulator app in process
(``create_app(admin=True, clock=FakeClock)``), reached through :class:`Tap`,
and Kubernetes is :class:`~tests.invariants.kube.MemoryKube`.

:class:`Tap` is the network. It knows, through a context variable, which
operator call (which resource, and that resource's pause and management
policy when the call began) each request belongs to, so it can

* attribute every cloud object to the resource whose call created it (the id
  is read from the create answer, even when that answer is then lost);
* record every write request a paused or ObserveOnly resource (or the drift
  pass) sent;
* lose an answer after the cloud committed the write (``httpx.ReadError``);
* crash the process just before a request leaves or just after its answer
  came back (:class:`Crash`, a ``BaseException`` nothing in the operator
  catches);
* remember an ENI's attributes just before a resource's first Modify of it,
  which is what deletion policy Restore must put back.

A *process restart* throws away the :class:`OperatorContext` (provider
registry with its HTTP clients, the per-resource locks, the watch cache) and
keeps the store and the simulator.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from cloudnet.api.errors import ErrorClass
from cloudnet.clouds.egress import Origin
from cloudnet.clouds.ratelimit import RateLimiterRegistry
from cloudnet.handlers import dnat
from cloudnet.handlers.common import Kind, Resolver
from cloudnet.handlers.context import OperatorContext
from cloudnet.handlers.run import KINDS as HANDLER_KINDS
from cloudnet.handlers.watch import WatchCache
from cloudnet.registry import ProviderRegistry
from cloudnet.sim.families.alibaba_ecs.world import EcsTables
from cloudnet.sim.families.alibaba_ens.world import EnsTables
from cloudnet.sim.families.alibaba_ens.world import settle as ens_settle
from cloudnet.sim.families.alibaba_sag.world import SagTables
from cloudnet.sim.families.huawei_nat.world import NatTables
from cloudnet.sim.families.huawei_nat.world import settle as huawei_settle
from cloudnet.sim.faults import FaultRule
from cloudnet.sim.registry import installed, load_inventory
from cloudnet.sim.server import Simulator, create_app
from tests.fixtures.simkit import FakeClock
from tests.invariants.kube import MemoryKube

NAMESPACE = "inv"
ENDPOINT = "http://cloud.sim.test"

# The default inventory's ids (examples/sim-inventory.yaml).
HUAWEI_PROJECT = "2993a37f1765d55d2a6526b764ae47e5"
HUAWEI_AK = "HWSIMAK7Q2M4X9C1LP0E"
HUAWEI_SK = "sImSk0Z8vQ3nB6yT1rW4eU7iO9pA2sD5fG8hJ1kL"
HUAWEI_GW = "23a937a4-f3dc-41ed-bf54-6a9844aa46e5"
HUAWEI_EIP = "a974bed9-1264-4c34-b01a-f8a2c325f4ca"
HUAWEI_PORT = "12cf9091-5178-4185-8be3-2c13f3f41ac8"
ALI_AK = "LTAI5tSimQ7m2X9c1Lp0EaKw"
ALI_SK = "sImAliSk0Z8vQ3nB6yT1rW4eU7iO9pA2"
ENS_GW = "nat-5t7nh1cfm6kxiszlttr38a1b2"
ENS_EIP = "100.64.10.11"
ENS_INSTANCE_IP = "10.0.1.11"
SAG_ID = "sag-0nnvdb0r1mtjv5a7k2"
SAG_REGION = "cn-shanghai"
ECS_REGION = "cn-hangzhou"
ENIS = ("eni-bp14f7k2m9xq3w8y5avl", "eni-bp19c2e4g6i8k0m2o4free")
SG_WEB = "sg-bp1fg655nh68xyz9i4nc"
SG_DB = "sg-bp1dbq7m3k9x2w5v8t1a"

WRITE_VERBS = ("Create", "Add", "Update", "Modify", "Delete")
FOREIGN = "<foreign>"

#: The error classes injected as cloud faults, in the order the rules draw them.
FAULT_CLASSES = (
    ErrorClass.THROTTLED,
    ErrorClass.TRANSIENT,
    ErrorClass.INVALID_SPEC,
    ErrorClass.CONFLICT,
    ErrorClass.AUTH_FAILED,
    ErrorClass.DEPENDENCY_NOT_FOUND,
    ErrorClass.UNKNOWN,
)


class Crash(BaseException):
    """The operator process dies here (SIGKILL): nothing in the operator may catch it."""


class Violation(AssertionError):
    """An invariant does not hold."""


def is_write(action: str) -> bool:
    return action.startswith(WRITE_VERBS)


def huawei_action(request: httpx.Request) -> str:
    path = request.url.path.rstrip("/")
    if request.method == "POST":
        return "CreateNatGatewayDnatRule"
    if request.method == "PUT":
        return "UpdateNatGatewayDnatRule"
    if request.method == "DELETE":
        return "DeleteNatGatewayDnatRule"
    return "ListNatGatewayDnatRules" if path.endswith("/dnat_rules") else "ShowNatGatewayDnatRule"


def action_of(request: httpx.Request) -> str:
    return request.headers.get("x-acs-action") or huawei_action(request)


# -- the four providers ------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """One provider as the model sees it: specs, cloud objects, fault codes."""

    name: str
    kind: Kind
    provider_config: str
    family: str
    create: str | None
    update: str | None
    delete: str | None
    reads: tuple[str, ...]
    #: (code, HTTP status) per error class, for calls on our own object / other calls
    own_faults: Mapping[ErrorClass, tuple[str, int]]
    other_faults: Mapping[ErrorClass, tuple[str, int]]
    #: number of spec variants; variant 1 and 3 hold the foreign object's key
    variants: int = 4

    @property
    def creates(self) -> bool:
        return self.create is not None

    @property
    def writes(self) -> tuple[str, ...]:
        return tuple(a for a in (self.create, self.update, self.delete) if a)

    @property
    def actions(self) -> tuple[str, ...]:
        return self.writes + self.reads

    def fault(self, cls: ErrorClass, action: str) -> tuple[str, int]:
        own = action in (self.update, self.delete) or action.startswith(("Show", "Describe"))
        table = self.own_faults if own else self.other_faults
        return table.get(cls) or self.other_faults[cls]

    # -- specs -------------------------------------------------------------------------

    def block(self, slot: int, variant: int, lane: int = 0) -> dict[str, Any]:
        """The provider part of the spec for a slot's resource in one of its variants.

        Variants 0/2 and 1/3 share a unique key; ``lane`` moves the external ports
        (avoiding "collisions" gives each resource a lane of its own).
        """
        ext, internal = variant & 1, variant >> 1
        port = ext + 2 * lane
        if self.name == "huawei-nat":
            return {
                "huaweiNat": {
                    "natGatewayId": HUAWEI_GW,
                    "floatingIpId": HUAWEI_EIP,
                    "portId": HUAWEI_PORT,
                    "protocol": "tcp",
                    # The cloud also keys rules by backend port (NAT.0304): the internal
                    # port follows the external one, so two specs share an internal port
                    # only where they share the external key too, and the model's keys hold.
                    "internalServicePort": 1000 + 2 * port + internal,
                    "externalServicePort": 8080 + port,
                }
            }
        if self.name == "alibaba-ens":
            return {
                "alibabaEns": {
                    "natGatewayId": ENS_GW,
                    "externalIp": ENS_EIP,
                    "externalPort": 2222 + port,
                    "internalIp": ENS_INSTANCE_IP,
                    "internalPort": 22 + internal,
                    "ipProtocol": "TCP",
                }
            }
        if self.name == "alibaba-sag":
            return {
                "alibabaSag": {
                    "regionId": SAG_REGION,
                    "sagId": SAG_ID,
                    "type": "Intranet",
                    "externalIp": "10.10.1.1",
                    "externalPort": 8080 + port,
                    "internalIp": "192.168.10.5",
                    "internalPort": 80 + internal,
                    "ipProtocol": "TCP",
                }
            }
        return {
            "regionId": ECS_REGION,
            "networkInterfaceId": ENIS[slot],
            "networkInterfaceName": ("web-a", "web-b")[ext],
            "description": ("first description", "second description")[internal],
            "securityGroupIds": [SG_WEB] if variant in (0, 3) else [SG_WEB, SG_DB],
        }

    def spec(
        self, slot: int, variant: int, *, observe_only: bool, keep: bool, lane: int = 0
    ) -> dict[str, Any]:
        spec: dict[str, Any] = {"providerConfigRef": {"name": self.provider_config}}
        spec.update(self.block(slot, variant, lane))
        if observe_only:
            spec["managementPolicy"] = "ObserveOnly"
        if keep:
            spec["deletionPolicy"] = "Orphan" if self.creates else "Restore"
        return spec

    def keeps(self, spec: Mapping[str, Any]) -> bool:
        """Whether the spec asks to leave the cloud object in place on delete."""
        return spec.get("managementPolicy") == "ObserveOnly" or (
            self.creates and spec.get("deletionPolicy") == "Orphan"
        )

    def restores(self, spec: Mapping[str, Any]) -> bool:
        return (
            not self.creates
            and spec.get("managementPolicy") != "ObserveOnly"
            and spec.get("deletionPolicy") == "Restore"
        )

    # -- the cloud ---------------------------------------------------------------------

    def live(self, sim: Simulator) -> dict[str, Any]:
        """Every cloud object of this provider's kind, lifecycle transitions applied."""
        now = sim.clock()
        store = sim.store
        if self.name == "huawei-nat":
            huawei_settle(store, now)
            return dict(store.tables(NatTables).dnat_rules)
        if self.name == "alibaba-ens":
            ens_settle(store, now)
            return dict(store.tables(EnsTables).forward_entries)
        if self.name == "alibaba-sag":
            return dict(store.tables(SagTables).dnat_entries)
        return {}

    def created_id(self, action: str, body: Mapping[str, Any]) -> str | None:
        if self.name == "huawei-nat":
            rule = body.get("dnat_rule")
            return str(rule["id"]) if isinstance(rule, Mapping) and rule.get("id") else None
        key = {"alibaba-ens": "ForwardEntryId", "alibaba-sag": "DnatEntryId"}.get(self.name)
        return str(body[key]) if key and body.get(key) else None

    def matches(self, block: Mapping[str, Any], obj: Any) -> bool:
        """Whether a cloud object holds what the spec's provider block says."""
        if self.name == "huawei-nat":
            b = block["huaweiNat"]
            return bool(
                obj.internal_service_port == b["internalServicePort"]
                and obj.external_service_port == b["externalServicePort"]
            )
        if self.name in ("alibaba-ens", "alibaba-sag"):
            b = block["alibabaEns" if self.name == "alibaba-ens" else "alibabaSag"]
            return bool(
                str(obj.internal_port) == str(b["internalPort"])
                and str(obj.external_port) == str(b["externalPort"])
            )
        return eni_view(obj) == {
            "name": block["networkInterfaceName"],
            "description": block["description"],
            "groups": sorted(block["securityGroupIds"]),
        }

    def drift_edit(self, object_id: str) -> tuple[str, dict[str, Any]]:
        """The admin PATCH that changes an object behind the operator's back."""
        if self.name == "huawei-nat":
            return f"/_sim/huawei/dnat_rules/{object_id}", {"internal_service_port": 99}
        if self.name == "alibaba-ens":
            return f"/_sim/alibaba/ens/forward_entries/{object_id}", {"internal_port": "99"}
        if self.name == "alibaba-sag":
            return f"/_sim/alibaba/sag/dnat_entries/{object_id}", {"internal_port": "99"}
        return (
            f"/_sim/alibaba/ecs/network_interfaces/{object_id}",
            {"network_interface_name": "changed-outside"},
        )

    def vanish(self, sim: Simulator, object_id: str) -> None:
        """Someone deletes the object outside Kubernetes."""
        table = {
            "huawei-nat": sim.store.tables(NatTables).dnat_rules,
            "alibaba-ens": sim.store.tables(EnsTables).forward_entries,
            "alibaba-sag": sim.store.tables(SagTables).dnat_entries,
        }[self.name]
        table.pop(object_id, None)


def eni_view(eni: Any) -> dict[str, Any]:
    """The ENI attributes the model's NetworkInterfaceConfig specs manage."""
    return {
        "name": eni.network_interface_name,
        "description": eni.description,
        "groups": sorted(eni.security_group_ids),
    }


_HUAWEI_FAULTS = {
    ErrorClass.THROTTLED: ("APIGW.0308", 429),
    ErrorClass.TRANSIENT: ("NAT.0007", 400),
    ErrorClass.INVALID_SPEC: ("NAT.0002", 400),
    ErrorClass.CONFLICT: ("NAT.0009", 400),
    ErrorClass.AUTH_FAILED: ("APIGW.0301", 401),
    ErrorClass.DEPENDENCY_NOT_FOUND: ("NAT.0004", 404),
    ErrorClass.UNKNOWN: ("NAT.0999", 400),
}
_ALIBABA_FAULTS = {
    ErrorClass.THROTTLED: ("Throttling", 400),
    ErrorClass.TRANSIENT: ("ServiceUnavailable", 503),
    ErrorClass.AUTH_FAILED: ("SignatureDoesNotMatch", 400),
    ErrorClass.UNKNOWN: ("Sim.NoTableListsThis", 400),
}

PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            name="huawei-nat",
            kind=dnat.KIND,
            provider_config="huawei",
            family="huawei",
            create="CreateNatGatewayDnatRule",
            update="UpdateNatGatewayDnatRule",
            delete="DeleteNatGatewayDnatRule",
            reads=("ShowNatGatewayDnatRule", "ListNatGatewayDnatRules"),
            # A 404 on our own rule's path means "gone": a dependency code keeps its 400 there.
            own_faults={ErrorClass.DEPENDENCY_NOT_FOUND: ("NAT.0004", 400)},
            other_faults=_HUAWEI_FAULTS,
        ),
        Profile(
            name="alibaba-ens",
            kind=dnat.KIND,
            provider_config="ens",
            family="alibaba-ens",
            create="CreateForwardEntry",
            update="ModifyForwardEntry",
            delete="DeleteForwardEntry",
            reads=("DescribeForwardTableEntries",),
            own_faults={},
            other_faults={
                **_ALIBABA_FAULTS,
                ErrorClass.INVALID_SPEC: ("InvalidPort.Malformed", 400),
                ErrorClass.CONFLICT: ("IncorrectInstanceStatus", 400),
                ErrorClass.DEPENDENCY_NOT_FOUND: ("InvalidParameter.NatNotFound", 400),
            },
        ),
        Profile(
            name="alibaba-sag",
            kind=dnat.KIND,
            provider_config="sag",
            family="alibaba-sag",
            create="AddDnatEntry",
            update=None,
            delete="DeleteDnatEntry",
            reads=("DescribeDnatEntries",),
            own_faults={},
            # SAG's table (DescribeDnatEntries) has no Conflict or DependencyNotFound code: those
            # classes come from situations (a taken key, an adopted id that does not
            # exist); the injected stand-ins are an AuthFailed code and an unknown one.
            other_faults={
                **_ALIBABA_FAULTS,
                ErrorClass.TRANSIENT: ("InternalError", 403),
                ErrorClass.INVALID_SPEC: ("MissingParameter", 403),
                ErrorClass.CONFLICT: ("Forbidden", 403),
                ErrorClass.DEPENDENCY_NOT_FOUND: ("Sim.DependencyGone", 404),
            },
        ),
        Profile(
            name="alibaba-ecs",
            kind=HANDLER_KINDS["NetworkInterfaceConfig"],
            provider_config="ecs",
            family="alibaba-ecs",
            create=None,
            update="ModifyNetworkInterfaceAttribute",
            delete=None,
            reads=("DescribeNetworkInterfaceAttribute", "DescribeNetworkInterfaces"),
            own_faults={},
            other_faults={
                **_ALIBABA_FAULTS,
                ErrorClass.INVALID_SPEC: ("InvalidParameter", 400),
                ErrorClass.CONFLICT: ("InvalidOperation.InvalidEniState", 400),
                ErrorClass.DEPENDENCY_NOT_FOUND: ("InvalidEcsId.NotFound", 404),
            },
        ),
    )
}


# -- who is calling ----------------------------------------------------------------------


@dataclass
class CallInfo:
    """One operator call, as the tap attributes requests to it."""

    #: the resource's uid; None for the drift pass's listing
    uid: str | None
    what: str
    #: whether the resource was paused / ObserveOnly when the call began
    paused: bool = False
    observe_only: bool = False
    requests: list[str] = field(default_factory=list)


ACTOR: contextvars.ContextVar[CallInfo | None] = contextvars.ContextVar("actor", default=None)


@dataclass
class Armed:
    """A one-shot network failure waiting for the request it matches."""

    #: "lose" (commit, then lose the answer) or "crash-before" / "crash-after"
    how: str
    #: an action name, "write", or "*"
    action: str
    #: fire on the n-th matching request from now
    countdown: int = 1

    def matches(self, action: str) -> bool:
        return (
            self.action == "*"
            or self.action == action
            or (self.action == "write" and is_write(action))
        )


class Tap(httpx.AsyncBaseTransport):
    """The network between the operator and the simulator (module docstring)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.inner = httpx.ASGITransport(app=world.app)
        self.armed: list[Armed] = []
        #: [n, change]: a user's change that lands just before the n-th request from now
        self.interfere: list[Any] | None = None
        self.requests = 0
        self.writes = 0
        self.lost = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        world = self.world
        action = action_of(request)
        actor = ACTOR.get()
        self.requests += 1
        self.writes += is_write(action)
        world.record_request(actor, action, request)
        fired = self._fire(action)
        if fired is not None and fired.how == "crash-before":
            raise Crash(f"before {action}")
        if actor is not None and action == "ModifyNetworkInterfaceAttribute":
            world.before_eni_modify(actor, request)
        if self.interfere is not None:
            self.interfere[0] -= 1
            if self.interfere[0] == 0:
                change, self.interfere = self.interfere[1], None
                change()
        response = await self.inner.handle_async_request(request)
        await response.aread()
        if response.is_success and is_write(action):
            world.after_write(actor, action, response)
        if fired is not None and fired.how == "lose":
            self.lost += 1
            await response.aclose()
            raise httpx.ReadError("connection reset by peer (answer lost)", request=request)
        if fired is not None and fired.how == "crash-after":
            raise Crash(f"after {action}")
        return response

    def _fire(self, action: str) -> Armed | None:
        for armed in self.armed:
            if armed.matches(action):
                armed.countdown -= 1
                if armed.countdown <= 0:
                    self.armed.remove(armed)
                    return armed
                return None
        return None


class SimRegistry(ProviderRegistry):
    """The real registry, with every HTTP client on the tap and no client-side pacing."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        super().__init__(rate=1e9, burst=10**9, allowed=[ENDPOINT])
        self._transport = transport
        # A throttling answer pauses its bucket (seconds, doubling): on virtual time
        # the pause is taken in full without a real wait, as the simulator's own clock.
        self.pacing_time = 0.0
        self._limiters = RateLimiterRegistry(
            1e9, 10**9, clock=lambda: self.pacing_time, sleep=self._pace
        )

    async def _pace(self, seconds: float) -> None:
        # At least a microsecond: ``t + (deadline - t)`` can fall short of ``deadline`` by
        # one ulp, and a bucket waiting out the rest would then never see time move.
        self.pacing_time += max(1e-6, seconds)
        await asyncio.sleep(0)  # sleep-ok: one loop turn, no time: the virtual clock paces

    def _client(self, endpoint: str, origin: Origin | None = None) -> httpx.AsyncClient:
        client = self._http.get(endpoint)
        if client is None or client.is_closed:
            client = httpx.AsyncClient(transport=self._transport, timeout=30.0)
            self._http[endpoint] = client
        return client


# -- the world -----------------------------------------------------------------------------

_INVENTORY: dict[str, Any] = {}


def sim_app(clock: FakeClock, rng: random.Random) -> Any:
    """``create_app`` on the default inventory, parsed once per process (YAML is slow)."""
    if not _INVENTORY:
        _INVENTORY.update(load_inventory(None).model_dump())
    fresh = installed().validate(_INVENTORY)
    return create_app(inventory=fresh, admin=True, clock=clock, rng=rng)


class World:
    """Simulator + tap + store + the operator's in-memory state (replaced on restart)."""

    def __init__(
        self, profile: Profile, *, seed: int = 0, avoid: frozenset[str] = frozenset()
    ) -> None:
        self.profile = profile
        self.clock = FakeClock(1_700_000_000.0)
        self.app = sim_app(self.clock, random.Random(seed))
        self.sim: Simulator = self.app.state.simulator
        settings = self.sim.store.inventory.settings
        settings.throttle_rate = 0
        # The clients sign with the real clock, the simulator runs on the fake one.
        settings.huawei_max_clock_skew = 10.0**9
        settings.alibaba_max_clock_skew = 10.0**9
        settings.request_log_size = 50
        if "empty-original" in avoid:
            for eni in self.sim.store.inventory.alibaba.ecs.network_interfaces:
                eni.description = eni.description or "an ENI with a description"
        self.kube = MemoryKube()
        self._provider_configs()
        self.tap = Tap(self)
        self.admin = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url=ENDPOINT
        )
        #: cloud object id → uid of the resource whose call created it (or FOREIGN)
        self.owner: dict[str, str] = {}
        #: uid → the ENI's attributes just before that resource's first Modify
        self.originals: dict[str, dict[str, Any]] = {}
        self.violations: list[str] = []
        self.ctx = self._context()
        self.restarts = 0
        self._fired = 0

    def _provider_configs(self) -> None:
        kube = self.kube
        kube.secrets[(NAMESPACE, "huawei-credentials")] = {
            "accessKeyId": HUAWEI_AK,
            "accessKeySecret": HUAWEI_SK,
        }
        kube.secrets[(NAMESPACE, "alibaba-credentials")] = {
            "accessKeyId": ALI_AK,
            "accessKeySecret": ALI_SK,
        }
        configs = {
            "huawei": {
                "provider": "huawei-nat",
                "region": "cn-north-4",
                "projectId": HUAWEI_PROJECT,
                "credentialsSecretRef": {"name": "huawei-credentials"},
            },
            "ens": {"provider": "alibaba-ens", "region": "cn-hangzhou"},
            "sag": {"provider": "alibaba-sag", "region": SAG_REGION},
            "ecs": {"provider": "alibaba-ecs", "region": ECS_REGION},
        }
        for name, spec in configs.items():
            spec.setdefault("credentialsSecretRef", {"name": "alibaba-credentials"})
            spec["endpoint"] = ENDPOINT
            kube.provider_configs[(NAMESPACE, name)] = {
                "apiVersion": "cloudnet.dev/v1alpha1",
                "kind": "ProviderConfig",
                "metadata": {"name": name, "namespace": NAMESPACE, "uid": f"pc-{name}"},
                "spec": spec,
            }

    def _context(self) -> OperatorContext:
        return OperatorContext(
            kube=self.kube,
            providers=SimRegistry(self.tap),
            watch_cache=WatchCache(),
        )

    async def restart(self) -> None:
        """The process dies and starts again: only the store and the cloud remain."""
        old = self.ctx
        self.ctx = self._context()
        self.restarts += 1
        await old.providers.aclose()

    async def aclose(self) -> None:
        await self.ctx.providers.aclose()
        await self.admin.aclose()

    # -- the tap's reports -------------------------------------------------------------

    def record_request(self, actor: CallInfo | None, action: str, request: httpx.Request) -> None:
        if actor is None:
            return
        actor.requests.append(action)
        if not is_write(action):
            return
        if actor.uid is None:
            self.violations.append(f"the drift pass sent a write: {action} {request.url.path}")
        elif actor.paused:
            self.violations.append(f"{actor.what}: paused resource {actor.uid} sent {action}")
        elif actor.observe_only:
            self.violations.append(f"{actor.what}: ObserveOnly resource {actor.uid} sent {action}")

    def after_write(self, actor: CallInfo | None, action: str, response: httpx.Response) -> None:
        if action != self.profile.create:
            return
        try:
            body = json.loads(response.content)
        except ValueError:
            return
        object_id = self.profile.created_id(action, body) if isinstance(body, dict) else None
        if object_id is not None:
            self.owner[object_id] = actor.uid if actor and actor.uid else "<nobody>"

    def before_eni_modify(self, actor: CallInfo, request: httpx.Request) -> None:
        if actor.uid is None or actor.uid in self.originals:
            return
        eni_id = request.url.params.get("NetworkInterfaceId")
        eni = self.sim.store.tables(EcsTables).network_interface(str(eni_id))
        if eni is not None:
            self.originals[actor.uid] = eni_view(eni)

    # -- the cloud, by the model's own hand --------------------------------------------

    def live(self) -> dict[str, Any]:
        return self.profile.live(self.sim)

    async def make_foreign(self, variant: int) -> str | None:
        """A cloud object someone else made, holding the key of spec variant ``variant``."""
        if not self.profile.creates:
            return None
        kind = self.profile.kind
        spec = self.profile.spec(0, variant, observe_only=False, keep=False)
        # Someone else's rule: the same key, another internal port.
        block = next(v for k, v in spec.items() if isinstance(v, dict) and k != "providerConfigRef")
        for name in ("internalServicePort", "internalPort"):
            if name in block:
                block[name] = 90
        body = {"kind": kind.name, "metadata": {"name": "foreign", "namespace": NAMESPACE}}
        body["spec"] = spec
        registry = SimRegistry(httpx.ASGITransport(app=self.app))
        try:
            ctx = OperatorContext(kube=self.kube, providers=registry, watch_cache=WatchCache())
            ready = await kind.prepare(ctx, body, Resolver(ctx))
            result = await ready.provider.create(ready.spec)
        finally:
            await registry.aclose()
        assert result.external_id
        self.owner[result.external_id] = FOREIGN
        self.clock.advance(5)
        return result.external_id

    async def drift(self, object_id: str) -> None:
        path, changes = self.profile.drift_edit(object_id)
        response = await self.admin.patch(path, json=changes)
        assert response.status_code == 200, response.text

    def add_fault(self, cls: ErrorClass, action: str, count: int) -> None:
        code, status = self.profile.fault(cls, action)
        self.sim.faults.add(
            FaultRule(
                family=self.profile.family,
                action=action,
                error_code=code,
                status=status,
                count=count,
            )
        )

    @property
    def faults_fired(self) -> int:
        return self._fired + sum(r.fired for r in self.sim.faults.rules())

    def calm(self) -> None:
        """Faults stop: cloud faults, armed network failures, Kubernetes write failures."""
        self._fired = self.faults_fired
        self.sim.faults.clear()
        self.tap.armed.clear()
        self.kube.fail_write_in = None
        self.kube.on_write = lambda _when, _what: None


def call_info(
    uid: str | None, what: str, body: Mapping[str, Any] | None, paused: Callable[[Any], bool]
) -> CallInfo:
    """The tap's record of a call, with the pause and policy the body had when it began."""
    if body is None:
        return CallInfo(uid=uid, what=what)
    spec = body.get("spec") or {}
    return CallInfo(
        uid=uid,
        what=what,
        paused=paused(body),
        observe_only=spec.get("managementPolicy") == "ObserveOnly",
    )
