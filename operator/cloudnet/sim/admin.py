"""Admin endpoints under ``/_sim/`` for tests and demos (only with ``--admin``).

They reach past the cloud APIs: read the request log, inject faults, edit
cloud objects directly (drift made outside Kubernetes, failure states such
as EIP_FREEZED), read the whole state, change settings at run time. No
authentication: the simulator binds to loopback and is a test tool.

=======  ===================================  ===========================================
GET      /_sim/requests[?family&action&caller] ``{"requests": [entry, ...]}`` oldest first
DELETE   /_sim/requests                        clear the log (204)
POST     /_sim/faults                          a FaultRule or a list → 201 ``{"faults": [...]}``
GET      /_sim/faults                          ``{"faults": [...]}`` (``fired``; ``count`` left)
DELETE   /_sim/faults[/{id}]                   remove all / one (204; 404 unknown id)
PATCH    /_sim/huawei/{kind}/{id}              merge fields into a dnat_rules, nat_gateways,
                                               eips, global_eips or ports object → 200 the object
PATCH    /_sim/alibaba/ens/{kind}/{id}         merge fields into an ENS forward_entries,
                                               nat_gateways, eips, instances or snat_entries
                                               object (inventory field names) → 200 the object
PATCH    /_sim/alibaba/sag/{kind}/{id}         merge fields into a SAG dnat_entries or
                                               instances object → 200 the object
PATCH    /_sim/alibaba/ecs/{kind}/{id}         merge fields into an ECS network_interfaces,
                                               instances, security_groups, instance_types,
                                               regions or vpcs object → 200 the object
GET      /_sim/state                           the persisted state ``{"version", "inventory"}``
                                               (Huawei rules, ENS forward entries, SAG DNAT
                                               entries and ECS ENIs included)
GET      /_sim/settings                        the settings
POST     /_sim/settings                        merge settings → 200 the settings
=======  ===================================  ===========================================

A request log entry: ``time`` (epoch s), ``family``, ``action``, ``method``,
``path``, ``query``, ``caller`` (access key id or ``token:<name>``, never a
secret), ``status``, ``error_code``, ``request_id``, ``fault`` (id of the
fault rule that fired), ``committed`` (the write is in the store), ``held``
(its answer was held back), ``duration``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from cloudnet.sim import alibaba_ens
from cloudnet.sim.faults import FaultRule
from cloudnet.sim.huawei_nat import settle
from cloudnet.sim.inventory import Settings

if TYPE_CHECKING:
    from cloudnet.sim.server import Simulator


@dataclass(frozen=True)
class _Editable:
    """How the admin PATCH endpoint finds and edits one family's objects."""

    label: str
    kinds: tuple[str, ...]
    settle: bool
    tables: Callable[[], dict[str, dict[str, Any]]]
    find: Callable[[str, str], BaseModel | None]


_HUAWEI_KINDS = ("dnat_rules", "nat_gateways", "eips", "global_eips", "ports")
_ENS_KINDS = ("forward_entries", "nat_gateways", "eips", "instances", "snat_entries")
_ECS_KINDS = (
    "network_interfaces",
    "instances",
    "security_groups",
    "instance_types",
    "regions",
    "vpcs",
)
_SAG_KINDS = ("dnat_entries", "instances")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except ValueError as exc:
        raise _BadRequest(f"body is not JSON: {exc}") from None


class _BadRequest(Exception):
    pass


def admin_routes(sim: Simulator) -> list[BaseRoute]:
    """The ``/_sim/`` routes bound to one simulator."""

    def settle_now() -> None:
        now = sim.clock()
        huawei_changed = settle(sim.store, sim.settings, now)
        if alibaba_ens.settle(sim.store, sim.settings, now) or huawei_changed:
            sim.store.commit()

    async def get_requests(request: Request) -> Response:
        entries = sim.log.entries()
        for name in ("family", "action", "caller"):
            if name in request.query_params:
                entries = [e for e in entries if e.get(name) == request.query_params[name]]
        return JSONResponse({"requests": entries})

    async def clear_requests(request: Request) -> Response:
        sim.log.clear()
        return Response(status_code=204)

    async def add_faults(request: Request) -> Response:
        try:
            data = await _json(request)
            items = data if isinstance(data, list) else [data]
            rules = [FaultRule.model_validate(item) for item in items]
        except (_BadRequest, ValidationError) as exc:
            return _error(400, str(exc))
        added = [sim.faults.add(rule).model_dump() for rule in rules]
        return JSONResponse({"faults": added}, status_code=201)

    async def list_faults(request: Request) -> Response:
        return JSONResponse({"faults": [r.model_dump() for r in sim.faults.rules()]})

    async def clear_faults(request: Request) -> Response:
        sim.faults.clear()
        return Response(status_code=204)

    async def delete_fault(request: Request) -> Response:
        if not sim.faults.remove(request.path_params["fault_id"]):
            return _error(404, "no such fault rule")
        return Response(status_code=204)

    def _in(objects: Iterable[Any], object_id: str) -> BaseModel | None:
        return next((o for o in objects if getattr(o, "id", None) == object_id), None)

    def _huawei(kind: str, object_id: str) -> BaseModel | None:
        projects = sim.store.inventory.huawei.projects
        return _in((o for p in projects for o in getattr(p, kind)), object_id)

    # One description per family: the kinds it edits, the store tables whose objects
    # are replaced whole (API-made objects), how to find inventory objects (edited in
    # place), and whether lifecycle transitions are settled first.
    families = {
        "huawei": _Editable(
            label="",
            kinds=_HUAWEI_KINDS,
            settle=True,
            tables=lambda: {"dnat_rules": sim.store.dnat_rules},
            find=_huawei,
        ),
        "ens": _Editable(
            label="ENS ",
            kinds=_ENS_KINDS,
            settle=True,
            tables=lambda: {"forward_entries": sim.store.ens_forward_entries},
            find=lambda kind, oid: _in(getattr(sim.store.inventory.alibaba.ens, kind), oid),
        ),
        "sag": _Editable(
            label="SAG ",
            kinds=_SAG_KINDS,
            settle=False,
            tables=lambda: {"dnat_entries": sim.store.sag_dnat_entries},
            find=lambda kind, oid: sim.store.sag_instance(oid),
        ),
        "ecs": _Editable(
            label="ECS ",
            kinds=_ECS_KINDS,
            settle=False,
            tables=dict,
            find=lambda kind, oid: _in(getattr(sim.store.inventory.alibaba.ecs, kind), oid),
        ),
    }

    async def patch_huawei(request: Request) -> Response:
        return await patch_object(request, "huawei")

    async def patch_alibaba(request: Request) -> Response:
        product = request.path_params["product"]
        if product == "huawei" or product not in families:
            return _error(404, f"unknown Alibaba product {product!r}; one of ens, sag, ecs")
        return await patch_object(request, product)

    async def patch_object(request: Request, family_name: str) -> Response:
        """Drift and failure states made outside the APIs (changed ports, stopped instances)."""
        family = families[family_name]
        kind, object_id = request.path_params["kind"], request.path_params["object_id"]
        if kind not in family.kinds:
            return _error(404, f"unknown kind {kind!r}; one of {', '.join(family.kinds)}")
        try:
            changes = await _json(request)
        except _BadRequest as exc:
            return _error(400, str(exc))
        if not isinstance(changes, dict):
            return _error(400, "body must be an object of fields to change")
        if family.settle:
            settle_now()
        table = family.tables().get(kind)
        target = table.get(object_id) if table is not None else family.find(kind, object_id)
        if target is None:
            return _error(404, f"no {family.label}{kind} object {object_id}")
        if "id" in changes and changes["id"] != object_id:
            return _error(400, "id cannot change")
        try:
            updated = type(target).model_validate({**target.model_dump(), **changes})
        except ValidationError as exc:
            return _error(400, str(exc))
        if table is not None:
            # A status change starts its lifecycle clock now, unless the edit sets it.
            if (
                hasattr(updated, "status_since")
                and getattr(updated, "status", None) != getattr(target, "status", None)
                and "status_since" not in changes
            ):
                updated.status_since = sim.clock()
            table[object_id] = updated
        else:
            for name in type(target).model_fields:
                setattr(target, name, getattr(updated, name))
            updated = target
        sim.store.commit()
        return JSONResponse(updated.model_dump(mode="json"))

    async def get_state(request: Request) -> Response:
        settle_now()
        return JSONResponse(sim.store.dump())

    async def get_settings(request: Request) -> Response:
        return JSONResponse(sim.settings.model_dump())

    async def post_settings(request: Request) -> Response:
        try:
            changes = await _json(request)
            if not isinstance(changes, dict):
                raise _BadRequest("body must be an object of settings to change")
            updated = Settings.model_validate({**sim.settings.model_dump(), **changes})
        except (_BadRequest, ValidationError) as exc:
            return _error(400, str(exc))
        settle_now()  # transitions due under the old delays happen under the old delays
        sim.store.inventory.settings = updated
        sim.log.resize(updated.request_log_size)
        sim.store.commit()
        return JSONResponse(updated.model_dump())

    return [
        Route("/_sim/requests", get_requests, methods=["GET"]),
        Route("/_sim/requests", clear_requests, methods=["DELETE"]),
        Route("/_sim/faults", add_faults, methods=["POST"]),
        Route("/_sim/faults", list_faults, methods=["GET"]),
        Route("/_sim/faults", clear_faults, methods=["DELETE"]),
        Route("/_sim/faults/{fault_id}", delete_fault, methods=["DELETE"]),
        Route("/_sim/huawei/{kind}/{object_id}", patch_huawei, methods=["PATCH"]),
        Route("/_sim/alibaba/{product}/{kind}/{object_id}", patch_alibaba, methods=["PATCH"]),
        Route("/_sim/state", get_state, methods=["GET"]),
        Route("/_sim/settings", get_settings, methods=["GET"]),
        Route("/_sim/settings", post_settings, methods=["POST"]),
    ]
