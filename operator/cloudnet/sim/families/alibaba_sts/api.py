"""Alibaba Cloud STS 2015-04-01: ``AssumeRoleWithOIDC``, the call behind RRSA.

RRSA mounts a service-account OIDC token into the pod; the workload trades it
for temporary credentials with an *anonymous* RPC call (no AccessKey, no
signature: the OIDC token is the proof). The simulator checks what the real
STS checks that a test can exercise, with its codes (*unconfirmed* where no
public table lists them: the simulator models them):

========================================  ======  ==========================================
MissingRoleArn / MissingOIDCProviderArn   400     parameter absent or empty
/ MissingOIDCToken
InvalidParameter.RoleArn                  400     not ``acs:ram::<uid>:role/<name>``
InvalidParameter.OIDCProviderArn          400     not ``acs:ram::<uid>:oidc-provider/<name>``
InvalidParameter.DurationSeconds          400     not an integer in [min, the role's max]
AuthenticationFail.OIDCToken.Invalid      400     not a JWT (three base64url parts, JSON)
AuthenticationFail.OIDCToken.Expired      400     the JWT's ``exp`` has passed
EntityNotExist.Role                       404     no such role (inventory ``oidc_roles``)
EntityNotExist.OIDCProvider               404     the role does not trust that provider
========================================  ======  ==========================================

The JWT's signature is not verified: the simulator has no OIDC issuer keys.
The answer is the real one's shape: ``Credentials {AccessKeyId, AccessKeySecret,
SecurityToken, Expiration}`` (Expiration in ``yyyy-mm-ddThh:mm:ssZ``, whole
seconds), ``AssumedRoleUser``, ``OIDCTokenInfo``. The credentials issued are
added to the inventory's ``sts_keys`` and open the ENS, SAG and ECS APIs,
with the role's permissions, until they expire (``sim/gateways/alibaba_pop.py``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import secrets

from starlette.requests import Request
from starlette.responses import Response

from cloudnet.sim.core import Call, CallContext, Principal
from cloudnet.sim.families.alibaba_sts.world import StsSettings
from cloudnet.sim.gateways.alibaba_pop import (
    ALIBABA_DATE_FORMAT,
    AlibabaAccessKey,
    AlibabaGateway,
    RpcAction,
    RpcProduct,
    missing,
    rpc_error,
    rpc_response,
)

FAMILY = "alibaba-sts"
VERSION = "2015-04-01"
ASSUME_ROLE_WITH_OIDC = "AssumeRoleWithOIDC"
DEFAULT_DURATION = 3600

_ROLE_ARN = re.compile(r"^acs:ram::\d+:role/[A-Za-z0-9._-]+$")
_PROVIDER_ARN = re.compile(r"^acs:ram::\d+:oidc-provider/[A-Za-z0-9._-]+$")


def _jwt_claims(token: str) -> dict[str, object] | None:
    """The payload of a JWT-shaped token, or None if it is not one."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        return None
    try:
        raw = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


class AlibabaSts(RpcProduct):
    """STS: only AssumeRoleWithOIDC, the one call RRSA needs."""

    name = FAMILY
    product = "sts"
    version = VERSION
    host_id = "sts.aliyuncs.com"
    product_name = "Sts"

    def __init__(self, gateway: AlibabaGateway) -> None:
        super().__init__(gateway)
        self.actions = {ASSUME_ROLE_WITH_OIDC: RpcAction(self._assume_role_with_oidc, "read")}

    async def authenticate(
        self, request: Request, body: bytes, call: Call, now: float
    ) -> Principal:
        if call.action == ASSUME_ROLE_WITH_OIDC:
            # Anonymous: throttled per role, logged by role, never by token.
            role = call.params.get("RoleArn", "")
            return Principal(key=f"oidc:{role}", project_id="", method="anonymous")
        return await super().authenticate(request, body, call, now)

    async def _assume_role_with_oidc(self, ctx: CallContext) -> Response:
        params = ctx.call.params
        for name in ("RoleArn", "OIDCProviderArn", "OIDCToken"):
            if not params.get(name):
                raise missing(name)
        role_arn, provider_arn = params["RoleArn"], params["OIDCProviderArn"]
        if not _ROLE_ARN.match(role_arn):
            raise rpc_error("InvalidParameter.RoleArn", "The parameter RoleArn is invalid.")
        if not _PROVIDER_ARN.match(provider_arn):
            raise rpc_error(
                "InvalidParameter.OIDCProviderArn", "The parameter OIDCProviderArn is invalid."
            )
        claims = _jwt_claims(params["OIDCToken"])
        if claims is None:
            raise rpc_error("AuthenticationFail.OIDCToken.Invalid", "The OIDC token is invalid.")
        exp = claims.get("exp")
        if isinstance(exp, int | float) and exp <= ctx.now:
            raise rpc_error("AuthenticationFail.OIDCToken.Expired", "The OIDC token has expired.")
        creds = self.gateway.credentials
        role = next((r for r in creds.oidc_roles if r.role_arn == role_arn), None)
        if role is None:
            raise rpc_error("EntityNotExist.Role", "The role does not exist.", status=404)
        if role.oidc_provider_arn != provider_arn:
            raise rpc_error(
                "EntityNotExist.OIDCProvider",
                "The OIDC provider does not exist or the role does not trust it.",
                status=404,
            )
        raw_duration = params.get("DurationSeconds") or str(DEFAULT_DURATION)
        minimum = self.store.settings_of(StsSettings).alibaba_sts_min_duration
        try:
            duration = int(raw_duration)
        except ValueError:
            duration = -1
        if not minimum <= duration <= role.max_session_duration:
            raise rpc_error(
                "InvalidParameter.DurationSeconds",
                f"DurationSeconds must be between {minimum} and {role.max_session_duration}.",
            )
        expiration = int(ctx.now) + duration
        key = AlibabaAccessKey(
            name=f"sts:{role_arn.rsplit('/', 1)[-1]}",
            access_key_id="STS.NU" + secrets.token_hex(12),
            access_key_secret=secrets.token_urlsafe(30),
            security_token="CAIS" + secrets.token_urlsafe(96),
            expiration=float(expiration),
            products=role.products,
            read_only=role.read_only,
        )
        # forget the keys that expired long ago: a long test run issues many
        creds.sts_keys = [k for k in creds.sts_keys if (k.expiration or 0) > ctx.now - 3600] + [key]
        self.store.commit()
        ctx.committed = True
        session = params.get("RoleSessionName") or "session"
        uid = role_arn.split(":")[3]
        return rpc_response(
            ctx,
            {
                "Credentials": {
                    "AccessKeyId": key.access_key_id,
                    "AccessKeySecret": key.access_key_secret,
                    "SecurityToken": key.security_token,
                    "Expiration": dt.datetime.fromtimestamp(expiration, dt.UTC).strftime(
                        ALIBABA_DATE_FORMAT
                    ),
                },
                "AssumedRoleUser": {
                    "AssumedRoleId": f"3{uid[:11]}:{session}",
                    "Arn": f"acs:ram::{uid}:assumed-role/{role_arn.rsplit('/', 1)[-1]}/{session}",
                },
                "OIDCTokenInfo": {
                    "Subject": str(claims.get("sub", "")),
                    "Issuer": str(claims.get("iss", "")),
                    "ClientIds": str(claims.get("aud", "")),
                },
                "SourceIdentity": "",
            },
        )
