"""Parts of the Alibaba client tests, shared with the security-token tests.

The test key, clock and nonce, the CreateForwardEntry parameters both test
modules sign, the :class:`Recorder` MockTransport handler, and :func:`_sdk_create`,
the same call through the official ENS SDK (its requests are captured by the
``sdk_requests`` fixture, in conftest.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from alibabacloud_ens20171110 import models as ens_models
from alibabacloud_ens20171110.client import Client as EnsSdkClient
from alibabacloud_tea_openapi import models as openapi_models

AK = "LTAI5tTestAccessKey"
SECRET = "s3cr3t/Value+With=Odd*Chars"
ENS_VERSION = "2017-11-10"
NOW = datetime(2025, 11, 17, 9, 1, 2, tzinfo=UTC)
NONCE = "0123456789abcdef0123456789abcdef"

CREATE_PARAMS: dict[str, Any] = {
    "NatGatewayId": "nat-5t7nh1cfm6kxiszlttr38",
    "ExternalIp": "121.0.0.28",
    "ExternalPort": "10/20",
    "InternalIp": "10.0.0.50",
    "InternalPort": "80/90",
    "IpProtocol": "TCP",
    "HealthCheckPort": 85,
    "ForwardEntryName": "web entry * ~ é/+",
    "StandbyExternalIp": None,
}


@dataclass
class Recorder:
    """A MockTransport handler that records requests and answers with a canned response."""

    status: int = 200
    content: bytes = b'{"RequestId": "REQ-1", "ForwardEntryId": "fwd-1"}'
    headers: dict[str, str] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, content=self.content, headers=self.headers)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


def query_of(request: httpx.Request) -> dict[str, str]:
    pairs = parse_qsl(request.url.query.decode("ascii"), keep_blank_values=True)
    query = dict(pairs)
    assert len(query) == len(pairs), "no parameter may be sent twice"
    return query


def _sdk_create(algorithm: str | None) -> None:
    config = openapi_models.Config(
        access_key_id=AK, access_key_secret=SECRET, endpoint="127.0.0.1:18900", protocol="http"
    )
    if algorithm:
        config.signature_algorithm = algorithm
    request = ens_models.CreateForwardEntryRequest(
        nat_gateway_id=CREATE_PARAMS["NatGatewayId"],
        external_ip=CREATE_PARAMS["ExternalIp"],
        external_port=CREATE_PARAMS["ExternalPort"],
        internal_ip=CREATE_PARAMS["InternalIp"],
        internal_port=CREATE_PARAMS["InternalPort"],
        ip_protocol=CREATE_PARAMS["IpProtocol"],
        health_check_port=CREATE_PARAMS["HealthCheckPort"],
        forward_entry_name=CREATE_PARAMS["ForwardEntryName"],
    )
    with pytest.raises(Exception):  # noqa: B017 - whatever the SDK wraps sdk_requests' Stop in
        EnsSdkClient(config).create_forward_entry(request)
