"""Admin endpoints under ``/_sim/`` for tests and demos (only with ``--admin``).

They reach past the cloud APIs: read the request log, inject faults, edit
cloud objects directly (drift made outside Kubernetes, failure states such
as EIP_FREEZED), read the whole state, change settings at run time. No
authentication: the simulator binds to loopback and is a test tool. The
object edits are the families' (``Family.edits``, described in each
family's ``admin.py``); this module serves them without naming any.

=======  ===================================  ===========================================
GET      /_sim/requests[?family&action&caller] ``{"requests": [entry, ...]}`` oldest first
DELETE   /_sim/requests                        clear the log (204)
POST     /_sim/faults                          a FaultRule or a list → 201 ``{"faults": [...]}``
GET      /_sim/faults                          ``{"faults": [...]}`` (``fired``; ``count`` left)
DELETE   /_sim/faults[/{id}]                   remove all / one (204; 404 unknown id)
PATCH    /_sim/{family path}/{kind}/{id}       merge fields (inventory field names) into an
                                               object of one of the family's kinds → 200 the
                                               object (``Family.edits``: the path and kinds)
GET      /_sim/state                           the persisted state ``{"version", "inventory"}``
                                               (the objects made through the APIs included)
GET      /_sim/settings                        the settings
POST     /_sim/settings                        merge settings → 200 the settings
POST     /_sim/reset                           back to the world it started with: objects,
                                               settings, throttle, no faults, empty log (204)
=======  ===================================  ===========================================

A request log entry: ``time`` (epoch s), ``family``, ``action``, ``method``,
``path``, ``query``, ``caller`` (access key id or ``token:<name>``, never a
secret), ``status``, ``error_code``, ``request_id``, ``fault`` (id of the
fault rule that fired), ``committed`` (the write is in the store), ``held``
(its answer was held back), ``duration``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from cloudnet.sim.family import Family
from cloudnet.sim.faults import FaultRule

if TYPE_CHECKING:
    from cloudnet.sim.server import Simulator


_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


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

    families = sim.store.world.families

    def settle_now() -> None:
        now = sim.clock()
        changed = [f.settle(sim.store, now) for f in families if f.settle is not None]
        if any(changed):
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

    async def reset(request: Request) -> Response:
        sim.reset()
        return Response(status_code=204)

    async def clear_faults(request: Request) -> Response:
        sim.faults.clear()
        return Response(status_code=204)

    async def delete_fault(request: Request) -> Response:
        if not sim.faults.remove(request.path_params["fault_id"]):
            return _error(404, "no such fault rule")
        return Response(status_code=204)

    def patcher(family: Family) -> Callable[[Request], Awaitable[Response]]:
        async def patch(request: Request) -> Response:
            return await patch_object(request, family)

        return patch

    async def patch_object(request: Request, family: Family) -> Response:
        """Drift and failure states made outside the APIs (changed ports, stopped instances)."""
        edits = family.edits
        assert edits is not None
        kind, object_id = request.path_params["kind"], request.path_params["object_id"]
        if kind not in edits.kinds:
            return _error(404, f"unknown kind {kind!r}; one of {', '.join(edits.kinds)}")
        try:
            changes = await _json(request)
        except _BadRequest as exc:
            return _error(400, str(exc))
        if not isinstance(changes, dict):
            return _error(400, "body must be an object of fields to change")
        if family.settle is not None:
            settle_now()
        table = edits.tables(sim.store).get(kind)
        target = (
            table.get(object_id) if table is not None else edits.find(sim.store, kind, object_id)
        )
        if target is None:
            return _error(404, f"no {edits.label}{kind} object {object_id}")
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
            updated = type(sim.settings).model_validate({**sim.settings.model_dump(), **changes})
        except (_BadRequest, ValidationError) as exc:
            return _error(400, str(exc))
        settle_now()  # transitions due under the old delays happen under the old delays
        sim.store.inventory.settings = updated
        sim.log.resize(updated.request_log_size)
        sim.store.commit()
        return JSONResponse(updated.model_dump())

    async def unknown(request: Request) -> Response:
        edits = [f"/_sim/{f.edits.path}/{{kind}}/{{id}}" for f in families if f.edits]
        return _error(404, f"no such admin endpoint; the object edits are {', '.join(edits)}")

    edit_routes = [
        Route(f"/_sim/{f.edits.path}/{{kind}}/{{object_id}}", patcher(f), methods=["PATCH"])
        for f in families
        if f.edits is not None
    ]
    return [
        Route("/_sim/requests", get_requests, methods=["GET"]),
        Route("/_sim/requests", clear_requests, methods=["DELETE"]),
        Route("/_sim/faults", add_faults, methods=["POST"]),
        Route("/_sim/faults", list_faults, methods=["GET"]),
        Route("/_sim/faults", clear_faults, methods=["DELETE"]),
        Route("/_sim/faults/{fault_id}", delete_fault, methods=["DELETE"]),
        *edit_routes,
        Route("/_sim/state", get_state, methods=["GET"]),
        Route("/_sim/settings", get_settings, methods=["GET"]),
        Route("/_sim/settings", post_settings, methods=["POST"]),
        Route("/_sim/reset", reset, methods=["POST"]),
        Route("/_sim/{rest:path}", unknown, methods=_ALL_METHODS),
    ]
