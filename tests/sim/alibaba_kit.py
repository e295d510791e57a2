"""Alibaba helpers for the simulator conformance tests (fixtures are in conftest.py).

The default inventory's Alibaba keys and ENS ids, and :class:`Ali`: signed
Alibaba RPC calls through the project's own signers, v1 (HMAC-SHA1,
parameters in the query) or ACS3-HMAC-SHA256 (Action and Version in
headers), on the ENS version by default (the SAG tests' ``Sag`` subclass
changes it; the ECS tests pass theirs). :func:`assert_ali_error` checks an
error answer's shape.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx

from cloudnet.clouds.signing import acs3_authorization, alibaba_v1_signature
from tests.sim.simkit import FakeClock

# The default inventory's Alibaba ids (examples/sim-inventory.yaml documents them).
AK = "LTAI5tSimQ7m2X9c1Lp0EaKw"
SK = "sImAliSk0Z8vQ3nB6yT1rW4eU7iO9pA2"
RO_AK = "LTAI5tSimR3b8N6v1Z5kT2Rq"  # read_only
RO_SK = "sImAliSk9Y7xW5vU3tS1rQ8pO6nM4lK2"
ECS_AK = "LTAI5tSimE4c6V8b0N2m4Q6w"  # products: [ecs]
ECS_SK = "sImAliSk1A3s5D7f9G1h3J5k7L9z1X3c"
NAT = "nat-5t7nh1cfm6kxiszlttr38a1b2"  # Running
NAT_CREATING = "nat-5t7nh1cfm6kxiszlttr38c3d4"  # Creating
NAT_OTHER = "nat-5t9ck2ws5iq1lm8yqcqzfe5vq"  # Running, another network
EIP1, EIP2 = "100.64.10.11", "100.64.10.12"  # bound to NAT
EIP_SNAT = "100.64.10.13"  # bound to NAT, used by its SNAT entry
EIP_STANDBY = "100.64.10.14"  # bound to NAT as a standby
EIP_OTHER = "100.64.10.15"  # bound to NAT_OTHER
EIP_FREE = "100.64.10.16"  # bound to nothing
WEB1, WEB2 = "10.0.1.11", "10.0.1.12"  # Running instances
WEB1_ID = "i-5rmwfbkdv4bq2lc9sbe6x7y8z"
STOPPED, RELEASING = "10.0.1.13", "10.0.1.14"
ELSEWHERE = "10.8.0.5"  # Running, in NAT_OTHER's network
VERSION = "2017-11-10"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class Ali:
    """Signed Alibaba RPC calls on one client: v1 (``sig="v1"``) or ACS3 (``"acs3"``)."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        clock: FakeClock,
        sig: str,
        *,
        ak: str = AK,
        secret: str = SK,
    ) -> None:
        self.client, self.clock, self.sig, self.ak, self.secret = client, clock, sig, ak, secret

    def as_key(self, ak: str, secret: str) -> Ali:
        return Ali(self.client, self.clock, self.sig, ak=ak, secret=secret)

    async def call(
        self,
        action: str,
        params: dict[str, Any] | None = None,
        *,
        version: str = VERSION,
        form: bool = False,
        date: str | None = None,
        nonce: str | None = None,
        tamper: dict[str, str] | None = None,
    ) -> httpx.Response:
        """One POST to ``/``; ``form`` sends the action's parameters as a form body.

        ``tamper`` changes parameters after signing (the signature must then fail).
        """
        values = {k: str(v) for k, v in (params or {}).items() if v is not None}
        date = date or dt.datetime.fromtimestamp(self.clock(), dt.UTC).strftime(DATE_FORMAT)
        nonce = nonce or uuid.uuid4().hex
        if self.sig == "v1":
            query = {
                "Action": action,
                "Version": version,
                "Format": "JSON",
                "Timestamp": date,
                "SignatureNonce": nonce,
                "SignatureMethod": "HMAC-SHA1",
                "SignatureVersion": "1.0",
                "AccessKeyId": self.ak,
            }
            body_params = values if form else {}
            if not form:
                query.update(values)
            query["Signature"] = alibaba_v1_signature({**query, **body_params}, "POST", self.secret)
            query.update(tamper or {})
            return await self.client.post(
                "/?" + urlencode(query),
                content=urlencode(body_params).encode(),
                headers={"content-type": "application/x-www-form-urlencoded"} if form else {},
            )
        body = urlencode(values).encode() if form else b""
        query = {} if form else dict(values)
        headers = {
            "host": self.client.base_url.host,
            "x-acs-action": action,
            "x-acs-version": version,
            "x-acs-date": date,
            "x-acs-signature-nonce": nonce,
            "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
        }
        if form:
            headers["content-type"] = "application/x-www-form-urlencoded"
        headers["authorization"] = acs3_authorization(
            method="POST",
            path="/",
            query=query,
            headers=headers,
            payload_sha256=headers["x-acs-content-sha256"],
            access_key=self.ak,
            secret=self.secret,
        )
        query.update(tamper or {})
        return await self.client.post("/?" + urlencode(query), content=body, headers=headers)

    async def ok(self, action: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.call(action, params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert body["RequestId"] == response.headers["x-acs-request-id"]
        return body

    async def err(
        self, action: str, params: dict[str, Any] | None, code: str, status: int = 400
    ) -> dict[str, Any]:
        return assert_ali_error(await self.call(action, params), status, code)

    # ENS shortcuts

    async def create(self, **overrides: Any) -> str:
        entry_id: str = (await self.ok("CreateForwardEntry", entry(**overrides)))["ForwardEntryId"]
        return entry_id

    async def entries(self, **params: Any) -> list[dict[str, Any]]:
        body = await self.ok("DescribeForwardTableEntries", {"NatGatewayId": NAT, **params})
        found: list[dict[str, Any]] = body["ForwardTableEntries"]
        return found

    async def one(self, entry_id: str) -> dict[str, Any]:
        [found] = await self.entries(ForwardEntryId=entry_id)
        return found


def entry(**overrides: Any) -> dict[str, Any]:
    """A valid CreateForwardEntry: NAT, EIP1:8080/TCP -> WEB1:80; ``None`` drops a field."""
    params: dict[str, Any] = {
        "NatGatewayId": NAT,
        "ExternalIp": EIP1,
        "ExternalPort": "8080",
        "InternalIp": WEB1,
        "InternalPort": "80",
        "IpProtocol": "TCP",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def assert_ali_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["Code"] == code, body
    # a RAM denial of an ECS read also names the action (AccessDeniedDetail)
    extra = {"AccessDeniedDetail"} if code == "Forbidden.RAM" else set()
    assert set(body) == {"RequestId", "HostId", "Code", "Message", "Recommend", *extra}
    assert body["Message"] and body["RequestId"] == response.headers["x-acs-request-id"]
    assert body["Recommend"].endswith(f"&requestId={body['RequestId']}")
    return body
