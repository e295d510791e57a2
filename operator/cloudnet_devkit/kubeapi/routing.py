"""Routing: every request parsed once, recorded, and sent to the concern that serves it.

The request is also handed to kmock as its own ``Request``, so tests keep
kmock's DSL for reactions (``api['get /x'] << 500``) and its request history
(bounded here: kmock keeps and rescans every request it ever served).
"""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any

import aiohttp.web
import attrs
import kmock
from kmock import ReactionMismatchError  # type: ignore[attr-defined]

from cloudnet_devkit.kubeapi.watch import Watch
from cloudnet_devkit.kubeapi.wire import Call, StatusError, Target, json_response

logger = logging.getLogger(__name__)


@attrs.define(kw_only=True)
class Routing(Watch):
    """The HTTP entry point; ``history_limit`` bounds the request history kept."""

    history_limit: int = 1000
    _builtin_payloads: int = attrs.field(default=0, init=False)
    _served: int = attrs.field(default=0, init=False)

    async def __call__(self, raw: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        body = await raw.read()
        try:
            text = body.decode("utf-8", errors="replace")
            try:
                data = json.loads(text) if text else None
            except ValueError:
                data = None
            path = raw.path.rstrip("/") or "/"
            target = self._target_of(path)
            call = Call(
                method=raw.method.upper(),
                path=path,
                params=dict(raw.query),
                headers=dict(raw.headers),
                text=text,
                data=data,
                raw=raw,
            )
            request = kmock.Request(
                id=self._served,
                method=raw.method,
                url=raw.url,
                params=call.params,
                headers=call.headers,
                cookies=dict(raw.cookies),
                body=body,
                text=text,
                data=data,
                action=self._action_of(call, target),
                resource=None
                if target is None
                else kmock.resource(target.group, target.version, target.plural),
                namespace=None if target is None else target.namespace,
                name=None if target is None else target.name,
                subresource=None if target is None else target.subresource,
                raw_request=raw,
            )
            self._served += 1
            self._requests.append(request)
            if len(self._requests) > 2 * self.history_limit:
                del self._requests[: -self.history_limit]
            if len(self._payloads) > self._builtin_payloads:
                reaction = await self._user_reaction(request)
                if reaction is not None:
                    return reaction
            return await self._route(call, target)
        except StatusError as exc:
            return json_response(exc.status(), exc.code)
        except Exception as exc:
            logger.exception("test Kubernetes API failed on %s %s", raw.method, raw.path_qs)
            error = StatusError(
                500, "InternalError", repr(exc), {"traceback": traceback.format_exc()}
            )
            return json_response(error.status(), 500)

    @staticmethod
    def _action_of(call: Call, target: Target | None) -> Any:
        if target is None:
            return None
        if call.method == "GET":
            if call.params.get("watch") in ("true", "1"):
                return kmock.action.WATCH
            return kmock.action.LIST if target.name is None else kmock.action.FETCH
        if call.method == "POST" and target.name is None:
            return kmock.action.CREATE
        if call.method in ("PATCH", "PUT") and target.name is not None:
            return kmock.action.UPDATE
        if call.method == "DELETE":
            return kmock.action.DELETE
        return None

    async def _user_reaction(self, request: Any) -> aiohttp.web.StreamResponse | None:
        """Serve reactions that tests added with kmock's DSL (``api['get /x'] << 500``)."""
        payloads = self._payloads[self._builtin_payloads :]
        for payload in sorted(payloads, key=lambda p: tuple(-x for x in p.priorities)):
            if payload._disabled.is_set() or request not in payload._source:
                continue
            try:
                response: aiohttp.web.StreamResponse = await payload(request)
                return response
            except ReactionMismatchError:
                payload._disabled.set()
            except NotImplementedError:
                pass
        return None

    async def _route(self, call: Call, target: Target | None) -> aiohttp.web.StreamResponse:
        if call.method == "GET":
            static = self._serve_static([part for part in call.path.split("/") if part], call)
            if static is not None:
                return static
        if target is None:
            raise StatusError(
                404,
                "NotFound",
                f"the server could not find the requested resource ({call.method} {call.path})",
            )
        return await self._serve_resource(target, call)

    def _target_of(self, path: str) -> Target | None:
        parts = [part for part in path.split("/") if part]
        if parts[:2] == ["api", "v1"] and len(parts) >= 3:
            return self._parse_target("", "v1", parts[2:])
        if parts[:1] == ["apis"] and len(parts) >= 4:
            return self._parse_target(parts[1], parts[2], parts[3:])
        return None

    @staticmethod
    def _parse_target(group: str, version: str, rest: list[str]) -> Target | None:
        namespace: str | None = None
        if (
            group == ""
            and rest[0] == "namespaces"
            and len(rest) == 3
            and rest[2] in ("status", "finalize")
        ):
            return Target(group, version, "namespaces", None, rest[1], rest[2])
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        if not rest or len(rest) > 3:
            return None
        return Target(
            group,
            version,
            rest[0],
            namespace,
            rest[1] if len(rest) > 1 else None,
            rest[2] if len(rest) > 2 else None,
        )

    async def _serve_resource(self, target: Target, call: Call) -> aiohttp.web.StreamResponse:
        info = self._info(target)
        if target.namespace is not None and not info.namespaced:
            raise StatusError(404, "NotFound", "the server could not find the requested resource")
        method, watch = call.method, call.params.get("watch") in ("true", "1")
        if target.subresource is not None and target.subresource not in info.subresources:
            raise StatusError(404, "NotFound", "the server could not find the requested resource")
        if target.subresource not in (None, "status", "finalize"):
            raise StatusError(405, "MethodNotAllowed", f"{target.subresource} is not supported")
        if method == "GET" and watch:
            return await self._watch(target, info, call)
        if target.name is None:
            if method == "GET":
                return self._list(target, info, call)
            if method == "POST":
                return json_response(*self._create(target, info, call))
            if method == "DELETE":
                return json_response(self._delete_collection(target, info, call))
        else:
            if method == "GET":
                obj = self._store.get(target.key, {}).get((target.namespace, target.name))
                if obj is None:
                    raise self._not_found(target, target.name)
                if call.wants_table:
                    return json_response(self._table(target, [obj], call))
                return json_response(self._present(target, obj))
            if method == "PUT":
                return json_response(self._replace(target, info, call))
            if method == "PATCH":
                return json_response(*self._patch(target, info, call))
            if method == "DELETE":
                return json_response(self._delete(target, info, call))
        raise StatusError(405, "MethodNotAllowed", f"{method} is not supported on {call.path}")
