"""The official Huawei NAT SDK, unchanged, against a real simulator socket.

``huaweicloudsdknat`` signs with its own signer, builds its own URLs and
query strings (csv lists), and parses answers into its model classes, so
it checks the wire protocol from the other side: signature verification,
paths, status codes, response shapes, and the error body it turns into
``ClientRequestException.error_code``.
"""

from __future__ import annotations

from typing import Any

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.signer.signer import Signer
from huaweicloudsdknat.v2 import (
    CreateNatGatewayDnatOption,
    CreateNatGatewayDnatRuleOption,
    CreateNatGatewayDnatRuleRequest,
    DeleteNatGatewayDnatRuleRequest,
    ListNatGatewayDnatRulesRequest,
    NatClient,
    ShowNatGatewayDnatRuleRequest,
    UpdateNatGatewayDnatRuleOption,
    UpdateNatGatewayDnatRuleRequest,
    UpdateNatGatewayDnatRuleRequestBody,
)

from tests.fixtures.simkit import (
    AK,
    EIP1,
    EIP1_ADDRESS,
    GW,
    GW_OTHER,
    OTHER_PROJECT,
    PORT1,
    PORT2,
    PROJECT,
    SK,
    TOKEN,
    LiveServer,
)


def nat_client(url: str, credentials: BasicCredentials) -> Any:
    config = HttpConfig.get_default_config()
    config.timeout = (5, 10)
    return (
        NatClient.new_builder()
        .with_http_config(config)
        .with_credentials(credentials)
        .with_endpoints([url])
        .build()
    )


class _TokenCredentials(BasicCredentials):
    """X-Auth-Token instead of an AK/SK signature (the SDK has no token credential)."""

    def __init__(self, token: str, project_id: str) -> None:
        super().__init__(ak="token", sk="token", project_id=project_id)
        self.token = token

    def sign_request(self, request: Any) -> Any:
        request.header_params["X-Auth-Token"] = self.token
        request.header_params["X-Project-Id"] = self.project_id
        Signer.process_request_uri(request)  # what the SDK does for pre-authorized requests
        return request


# the SDK checks the credential class *name* against its allowed list
_TokenCredentials.__name__ = "BasicCredentials"


def _create_request(**overrides: Any) -> CreateNatGatewayDnatRuleRequest:
    option = {
        "nat_gateway_id": GW,
        "floating_ip_id": EIP1,
        "port_id": PORT1,
        "protocol": "tcp",
        "internal_service_port": 80,
        "external_service_port": 8080,
        "description": "made by the official SDK",
    }
    option.update(overrides)
    return CreateNatGatewayDnatRuleRequest(
        body=CreateNatGatewayDnatRuleOption(dnat_rule=CreateNatGatewayDnatOption(**option))
    )


def test_official_sdk_create_show_list_update_delete(live: LiveServer) -> None:
    client = nat_client(live.url, BasicCredentials(AK, SK, PROJECT))

    created = client.create_nat_gateway_dnat_rule(_create_request())
    assert created.status_code == 201
    rule = created.dnat_rule
    assert rule.status == "ACTIVE"  # the live fixture has no delays
    assert rule.floating_ip_address == EIP1_ADDRESS
    assert rule.tenant_id == PROJECT

    shown = client.show_nat_gateway_dnat_rule(ShowNatGatewayDnatRuleRequest(dnat_rule_id=rule.id))
    assert shown.dnat_rule.to_dict() == rule.to_dict()
    assert shown.dnat_rule.created_at == rule.created_at

    second = client.create_nat_gateway_dnat_rule(
        _create_request(protocol="udp", external_service_port=53, internal_service_port=53)
    ).dnat_rule
    listed = client.list_nat_gateway_dnat_rules(
        ListNatGatewayDnatRulesRequest(
            nat_gateway_id=[GW, GW_OTHER], protocol=["udp"], status=["ACTIVE", "PENDING_CREATE"]
        )
    )
    assert [r.id for r in listed.dnat_rules] == [second.id]
    first_page = client.list_nat_gateway_dnat_rules(ListNatGatewayDnatRulesRequest(limit=1))
    rest = client.list_nat_gateway_dnat_rules(
        ListNatGatewayDnatRulesRequest(limit=1, marker=first_page.dnat_rules[0].id)
    )
    assert {first_page.dnat_rules[0].id, rest.dnat_rules[0].id} == {rule.id, second.id}

    updated = client.update_nat_gateway_dnat_rule(
        UpdateNatGatewayDnatRuleRequest(
            dnat_rule_id=rule.id,
            body=UpdateNatGatewayDnatRuleRequestBody(
                dnat_rule=UpdateNatGatewayDnatRuleOption(
                    nat_gateway_id=GW, port_id=PORT2, description="updated by the SDK"
                )
            ),
        )
    )
    assert updated.status_code == 200
    assert (updated.dnat_rule.port_id, updated.dnat_rule.description) == (
        PORT2,
        "updated by the SDK",
    )

    deleted = client.delete_nat_gateway_dnat_rule(
        DeleteNatGatewayDnatRuleRequest(nat_gateway_id=GW, dnat_rule_id=rule.id)
    )
    assert deleted.status_code == 204
    with pytest.raises(ClientRequestException) as gone:
        client.show_nat_gateway_dnat_rule(ShowNatGatewayDnatRuleRequest(dnat_rule_id=rule.id))
    assert (gone.value.status_code, gone.value.error_code) == (404, "NAT.0319")


def test_official_sdk_sees_our_error_codes(live: LiveServer) -> None:
    client = nat_client(live.url, BasicCredentials(AK, SK, PROJECT))
    gateway = "cda3a125-2406-456c-a11f-598e10578541"
    with pytest.raises(ClientRequestException) as unknown_gateway:
        client.create_nat_gateway_dnat_rule(_create_request(nat_gateway_id=gateway))
    error = unknown_gateway.value
    assert (error.status_code, error.error_code) == (404, "NAT.0105")
    assert error.request_id  # from the X-Request-Id header
    assert f"NatGateway {gateway}" in error.error_msg

    with pytest.raises(ClientRequestException) as unknown_rule:
        client.show_nat_gateway_dnat_rule(
            ShowNatGatewayDnatRuleRequest(dnat_rule_id="5b95c675-69c2-4656-ba06-58ff72e1d338")
        )
    assert (unknown_rule.value.status_code, unknown_rule.value.error_code) == (404, "NAT.0319")

    with pytest.raises(ClientRequestException) as unknown_port:
        client.create_nat_gateway_dnat_rule(
            _create_request(port_id="00000000-0000-0000-0000-000000000000")
        )
    assert (unknown_port.value.status_code, unknown_port.value.error_code) == (404, "NAT.0023")

    with pytest.raises(ClientRequestException) as no_backend:
        client.create_nat_gateway_dnat_rule(_create_request(port_id=None))
    assert (no_backend.value.status_code, no_backend.value.error_code) == (400, "NAT.0310")

    with pytest.raises(ClientRequestException) as bad_protocol:
        client.create_nat_gateway_dnat_rule(_create_request(protocol="icmp"))
    assert (bad_protocol.value.status_code, bad_protocol.value.error_code) == (400, "NAT.0302")

    with pytest.raises(ClientRequestException) as too_long:
        client.create_nat_gateway_dnat_rule(_create_request(description="d" * 256))
    assert (too_long.value.status_code, too_long.value.error_code) == (400, "NAT.0014")

    first = client.create_nat_gateway_dnat_rule(_create_request()).dnat_rule
    with pytest.raises(ClientRequestException) as external_key:
        client.create_nat_gateway_dnat_rule(_create_request(port_id=PORT2))
    assert (external_key.value.status_code, external_key.value.error_code) == (400, "NAT.0305")
    with pytest.raises(ClientRequestException) as internal_key:
        client.create_nat_gateway_dnat_rule(_create_request(external_service_port=8081))
    assert (internal_key.value.status_code, internal_key.value.error_code) == (400, "NAT.0304")
    assert first.id in internal_key.value.error_msg

    with pytest.raises(ClientRequestException) as bad_time:
        client.list_nat_gateway_dnat_rules(ListNatGatewayDnatRulesRequest(created_at="soon"))
    assert bad_time.value.error_code == "NAT.0001"


def test_official_sdk_with_a_wrong_secret_gets_apigw_0301(live: LiveServer) -> None:
    client = nat_client(live.url, BasicCredentials(AK, "not-the-secret", PROJECT))
    with pytest.raises(ClientRequestException) as denied:
        client.list_nat_gateway_dnat_rules(ListNatGatewayDnatRulesRequest())
    assert (denied.value.status_code, denied.value.error_code) == (401, "APIGW.0301")


def test_official_sdk_on_another_project_gets_403(live: LiveServer) -> None:
    client = nat_client(live.url, BasicCredentials(AK, SK, OTHER_PROJECT))
    with pytest.raises(ClientRequestException) as denied:
        client.list_nat_gateway_dnat_rules(ListNatGatewayDnatRulesRequest())
    assert (denied.value.status_code, denied.value.error_code) == (403, "APIGW.0302")


def test_official_sdk_with_a_token(live: LiveServer) -> None:
    client = nat_client(live.url, _TokenCredentials(TOKEN, PROJECT))
    created = client.create_nat_gateway_dnat_rule(_create_request())
    assert created.status_code == 201
    listed = client.list_nat_gateway_dnat_rules(ListNatGatewayDnatRulesRequest())
    assert [r.id for r in listed.dnat_rules] == [created.dnat_rule.id]
    bad = nat_client(live.url, _TokenCredentials("MIIwrong", PROJECT))
    with pytest.raises(ClientRequestException) as denied:
        bad.list_nat_gateway_dnat_rules(ListNatGatewayDnatRulesRequest())
    assert denied.value.error_code == "APIGW.0301"


def test_official_sdk_is_logged_by_action(live: LiveServer) -> None:
    import httpx

    client = nat_client(live.url, BasicCredentials(AK, SK, PROJECT))
    client.list_nat_gateway_dnat_rules(ListNatGatewayDnatRulesRequest(limit=5))
    entries = httpx.get(live.url + "/_sim/requests").json()["requests"]
    assert entries[-1]["action"] == "ListNatGatewayDnatRules"
    assert entries[-1]["caller"] == AK and entries[-1]["status"] == 200
