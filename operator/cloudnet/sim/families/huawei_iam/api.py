"""Huawei Cloud IAM v3: the two calls that yield short-lived credentials.

* ``POST /v3/auth/tokens`` with password credentials and a project scope:
  201, the token in the ``X-Subject-Token`` header, ``{"token": {"expires_at",
  "issued_at", "methods", "project", "user"}}`` in the body. The token is
  added to the inventory's ``tokens`` with ``expires_at`` (lifetime
  ``huawei_token_lifetime``, 24 h by default) and opens the NAT API of its
  project until then (``APIGW.0307`` after).
* ``POST /v3.0/OS-CREDENTIAL/securitytokens`` with ``X-Auth-Token`` and
  ``{"auth": {"identity": {"methods": ["token"], "token": {"duration_seconds"}}}}``:
  201 ``{"credential": {"access", "secret", "securitytoken", "expires_at"}}``,
  a temporary AK/SK of the token's project, accepted with its
  ``X-Security-Token`` until it expires.

Errors (the gateway's shape, ``{"error_code", "error_msg"}``): a wrong user,
password or domain is 401 ``IAM.0101``, a project the user may not use 403
``IAM.0102``, a malformed body 400 ``IAM.0007``, a bad duration 400
``IAM.0008`` (*unconfirmed*: the IAM reference words these by status; the
simulator models the codes); a missing or unknown X-Auth-Token is the
gateway's 401 ``APIGW.0301``, an expired one ``APIGW.0307``.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cloudnet.sim.core import Call, CallContext, Principal, SimError, TokenBuckets
from cloudnet.sim.families.huawei_iam.world import IamSettings
from cloudnet.sim.gateways.huawei_apig import (
    HuaweiAccessKey,
    HuaweiGateway,
    HuaweiToken,
    token_caller,
)
from cloudnet.sim.state import Store

FAMILY = "huawei-iam"
TOKENS_PATH = "/v3/auth/tokens"
SECURITY_TOKENS_PATH = "/v3.0/OS-CREDENTIAL/securitytokens"
GET_TOKEN = "KeystoneCreateUserTokenByPassword"
GET_SECURITY_TOKEN = "CreateTemporaryAccessKeyByToken"
MAX_DURATION = 86400


def _iso(epoch: float) -> str:
    """IAM's expires_at spelling: microseconds, Z."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _iam_error(code: str, message: str, status: int = 400) -> SimError:
    return SimError(status, code, message)


def _body(ctx: CallContext) -> dict[str, Any]:
    try:
        parsed = json.loads(ctx.body or b"null")
    except ValueError:
        parsed = None
    auth = parsed.get("auth") if isinstance(parsed, dict) else None
    if not isinstance(auth, dict):
        raise _iam_error("IAM.0007", "Request parameter auth is invalid.")
    return auth


def _get(value: Any, *path: str) -> Any:
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


class HuaweiIam:
    """IAM's token and temporary-AK/SK calls on the shared port."""

    name = FAMILY

    def __init__(self, store: Store) -> None:
        self.store = store
        self.gateway = store.shared(HuaweiGateway)

    @property
    def settings(self) -> IamSettings:
        return self.store.settings_of(IamSettings)

    def route(self, request: Request) -> Call | None:
        if request.method != "POST":
            return None
        if request.url.path == TOKENS_PATH:
            return Call(family=self, action=GET_TOKEN, params={}, handler=self._token)
        if request.url.path == SECURITY_TOKENS_PATH:
            return Call(family=self, action=GET_SECURITY_TOKEN, params={}, handler=self._temp)
        return None

    async def authenticate(
        self, request: Request, body: bytes, call: Call, now: float
    ) -> Principal:
        if call.action == GET_TOKEN:  # the password in the body is the proof
            return Principal(key="iam:password", project_id="", method="anonymous")
        match = self.gateway.token(request.headers.get("x-auth-token") or "", now)
        return Principal(
            key=token_caller(match.name, match.token),
            project_id=match.project_id,
            method="token",
        )

    def throttle(
        self, buckets: TokenBuckets, principal: Principal, call: Call, host: str
    ) -> SimError | None:
        return self.gateway.throttle(buckets, principal)

    def render_error(self, error: SimError, request_id: str, *, host: str) -> Response:
        return self.gateway.render_error(error, request_id)

    async def _token(self, ctx: CallContext) -> Response:
        auth = _body(ctx)
        user = _get(auth, "identity", "password", "user")
        methods = _get(auth, "identity", "methods")
        project_id = _get(auth, "scope", "project", "id")
        if methods != ["password"] or not isinstance(user, dict) or not project_id:
            raise _iam_error("IAM.0007", "Request parameter auth is invalid.")
        creds = self.gateway.credentials
        found = next(
            (
                u
                for u in creds.users
                if u.name == user.get("name")
                and u.domain_name == _get(user, "domain", "name")
                and hmac.compare_digest(u.password, str(user.get("password", "")))
            ),
            None,
        )
        if found is None:
            raise _iam_error("IAM.0101", "The username or password is wrong.", status=401)
        if project_id not in found.project_ids:
            raise _iam_error("IAM.0102", "The user may not use this project.", status=403)
        expires = ctx.now + self.settings.huawei_token_lifetime
        token = "MIIsim" + secrets.token_urlsafe(96)
        creds.tokens = [
            t for t in creds.tokens if t.expires_at is None or t.expires_at > ctx.now - 3600
        ] + [
            HuaweiToken(
                token=token, project_id=project_id, name=f"iam:{found.name}", expires_at=expires
            )
        ]
        self.store.commit()
        ctx.committed = True
        body = {
            "token": {
                "expires_at": _iso(expires),
                "issued_at": _iso(ctx.now),
                "methods": ["password"],
                "project": {"id": project_id},
                "user": {"name": found.name, "domain": {"name": found.domain_name}},
            }
        }
        return JSONResponse(
            body,
            status_code=201,
            headers={"X-Subject-Token": token, "X-Request-Id": ctx.request_id},
        )

    async def _temp(self, ctx: CallContext) -> Response:
        auth = _body(ctx)
        if _get(auth, "identity", "methods") != ["token"]:
            raise _iam_error("IAM.0007", "Request parameter auth is invalid.")
        duration = _get(auth, "identity", "token", "duration_seconds") or 900
        minimum = self.settings.huawei_security_token_min_duration
        if not isinstance(duration, int) or not minimum <= duration <= MAX_DURATION:
            raise _iam_error("IAM.0008", f"duration_seconds must be between {minimum} and 86400.")
        expires = ctx.now + duration
        key = HuaweiAccessKey(
            access_key="HWSTS" + secrets.token_hex(8).upper(),
            secret_key=secrets.token_urlsafe(30),
            project_id=ctx.principal.project_id,
            name=f"sts:{ctx.principal.key}",
            security_token="gQpzim" + secrets.token_urlsafe(96),
            expires_at=expires,
        )
        creds = self.gateway.credentials
        creds.access_keys = [
            k for k in creds.access_keys if k.expires_at is None or k.expires_at > ctx.now - 3600
        ] + [key]
        self.store.commit()
        ctx.committed = True
        return JSONResponse(
            {
                "credential": {
                    "access": key.access_key,
                    "secret": key.secret_key,
                    "securitytoken": key.security_token,
                    "expires_at": _iso(expires),
                }
            },
            status_code=201,
            headers={"X-Request-Id": ctx.request_id},
        )
