"""The official ENS SDK (``alibabacloud_ens20171110``), unchanged, against a live simulator.

The SDK composes ``{protocol}://{endpoint}/?{query}`` from ``Config``
(endpoint ``127.0.0.1:PORT``, protocol ``http``), signs with
ACS3-HMAC-SHA256 by default (Action/Version only in the x-acs-* headers)
and with v1 HMAC-SHA1 when ``signature_algorithm='v2'`` (everything in the
query), and parses answers into its response models. Both paths run here.
"""

from __future__ import annotations

import pytest
from alibabacloud_ens20171110 import models as ens
from alibabacloud_ens20171110.client import Client
from alibabacloud_tea_openapi.exceptions import ClientException, ThrottlingException
from alibabacloud_tea_openapi.models import Config
from starlette.applications import Starlette

from tests.fixtures.alibaba_kit import AK, EIP1, EIP2, NAT, RO_AK, RO_SK, SK, WEB1, WEB2
from tests.fixtures.simkit import LiveServer, sim

ALGORITHMS = [None, "v2"]  # None: the SDK's default ACS3-HMAC-SHA256; "v2": v1 HMAC-SHA1


def ens_client(
    live: LiveServer, algorithm: str | None, *, ak: str = AK, secret: str = SK
) -> Client:
    config = Config(
        access_key_id=ak,
        access_key_secret=secret,
        endpoint=f"127.0.0.1:{live.port}",
        protocol="http",
        read_timeout=10_000,
        connect_timeout=5_000,
    )
    if algorithm is not None:
        config.signature_algorithm = algorithm
    return Client(config)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_official_sdk_create_describe_modify_delete(
    live: LiveServer, live_app: Starlette, algorithm: str | None
) -> None:
    sim(live_app).settings.alibaba_ens_create_delay = 0
    client = ens_client(live, algorithm)

    created = client.create_forward_entry(
        ens.CreateForwardEntryRequest(
            nat_gateway_id=NAT,
            external_ip=EIP1,
            external_port="8000/8009",
            internal_ip=WEB1,
            internal_port="9000/9009",
            ip_protocol="TCP",
            forward_entry_name="made-by-the-sdk",
            health_check_port=9001,
        )
    )
    assert created.status_code == 200
    entry_id = created.body.forward_entry_id
    assert entry_id.startswith("fwd-") and created.body.request_id

    listed = client.describe_forward_table_entries(
        ens.DescribeForwardTableEntriesRequest(nat_gateway_id=NAT, page_size=5)
    ).body
    assert (listed.total_count, listed.page_number, listed.page_size) == (1, 1, 5)
    [shown] = listed.forward_table_entries
    assert (shown.forward_entry_id, shown.status, shown.nat_gateway_id) == (
        entry_id,
        "Available",
        NAT,
    )
    assert (shown.external_port, shown.internal_port, shown.health_check_port) == (
        "8000/8009",
        "9000/9009",
        "9001",
    )
    assert shown.forward_entry_name == "made-by-the-sdk"

    modified = client.modify_forward_entry(
        ens.ModifyForwardEntryRequest(
            forward_entry_id=entry_id,
            external_ip=EIP2,
            internal_ip=WEB2,
            ip_protocol="UDP",
            forward_entry_name="changed",
        )
    )
    assert modified.status_code == 200 and modified.body.request_id
    [after] = client.describe_forward_table_entries(
        ens.DescribeForwardTableEntriesRequest(nat_gateway_id=NAT, forward_entry_id=entry_id)
    ).body.forward_table_entries
    assert (after.external_ip, after.internal_ip, after.ip_protocol, after.status) == (
        EIP2,
        WEB2,
        "UDP",
        "Pending",
    )

    sim(live_app).settings.alibaba_ens_delete_delay = 0
    sim(live_app).settings.alibaba_ens_modify_delay = 0
    deleted = client.delete_forward_entry(ens.DeleteForwardEntryRequest(forward_entry_id=entry_id))
    assert deleted.status_code == 200 and deleted.body.request_id
    empty = client.describe_forward_table_entries(
        ens.DescribeForwardTableEntriesRequest(nat_gateway_id=NAT)
    ).body
    assert (empty.total_count, empty.forward_table_entries) == (0, [])


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_official_sdk_sees_our_error_codes(
    live: LiveServer, live_app: Starlette, algorithm: str | None
) -> None:
    client = ens_client(live, algorithm)
    with pytest.raises(ClientException) as not_found:
        client.create_forward_entry(
            ens.CreateForwardEntryRequest(
                nat_gateway_id="nat-5t7nh1cfm6kxiszlttr38zzzz",
                external_ip=EIP1,
                external_port="22",
                internal_ip=WEB1,
                internal_port="22",
            )
        )
    error = not_found.value
    assert (error.status_code, error.code) == (400, "InvalidParameter.NatNotFound")
    assert error.request_id and error.data["HostId"] == "ens.aliyuncs.com"

    with pytest.raises(ClientException) as missing:
        client.delete_forward_entry(ens.DeleteForwardEntryRequest())
    assert missing.value.code == "MissingForwardEntryId"

    reader = ens_client(live, algorithm, ak=RO_AK, secret=RO_SK)
    with pytest.raises(ClientException) as denied:
        reader.delete_forward_entry(ens.DeleteForwardEntryRequest(forward_entry_id="fwd-x"))
    assert denied.value.code == "NoPermission"


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_official_sdk_with_a_wrong_secret_or_key(
    live: LiveServer, live_app: Starlette, algorithm: str | None
) -> None:
    request = ens.DescribeForwardTableEntriesRequest(nat_gateway_id=NAT)
    with pytest.raises(ClientException) as bad_secret:
        ens_client(live, algorithm, secret="wrong").describe_forward_table_entries(request)
    assert (bad_secret.value.status_code, bad_secret.value.code) == (400, "SignatureDoesNotMatch")
    with pytest.raises(ClientException) as bad_key:
        ens_client(live, algorithm, ak="LTAI5tNoSuchKey000000000").describe_forward_table_entries(
            request
        )
    assert (bad_key.value.status_code, bad_key.value.code) == (404, "InvalidAccessKeyId.NotFound")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_official_sdk_throttling_exception(
    live: LiveServer, live_app: Starlette, algorithm: str | None
) -> None:
    settings = sim(live_app).settings
    settings.throttle_rate = 0.01
    settings.throttle_burst = 1
    client = ens_client(live, algorithm)
    request = ens.DescribeForwardTableEntriesRequest(nat_gateway_id=NAT)
    client.describe_forward_table_entries(request)
    with pytest.raises(ThrottlingException) as throttled:
        client.describe_forward_table_entries(request)
    assert throttled.value.code == "Throttling.User"
    assert throttled.value.retry_after > 0


def test_official_sdk_calls_are_logged_by_action(live: LiveServer) -> None:
    import httpx

    ens_client(live, None).describe_forward_table_entries(
        ens.DescribeForwardTableEntriesRequest(nat_gateway_id=NAT)
    )
    entries = httpx.get(live.url + "/_sim/requests").json()["requests"]
    assert (entries[-1]["family"], entries[-1]["action"]) == (
        "alibaba-ens",
        "DescribeForwardTableEntries",
    )
    assert entries[-1]["caller"] == AK and entries[-1]["status"] == 200
