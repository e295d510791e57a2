"""The official SAG SDK (``alibabacloud_smartag20180313``), unchanged, against a live simulator.

The SDK sends every SAG parameter in the query of a POST to ``/``, signs with
ACS3-HMAC-SHA256 by default and with v1 HMAC-SHA1 when
``signature_algorithm='v2'``, and parses answers into its response models:
the nested ``DnatEntries.DnatEntry`` list of DescribeDnatEntries must land in
``body.dnat_entries.dnat_entry``. Errors (HTTP 403 for all of its reference's
codes) surface as the SDK's ClientException carrying our Code.
"""

from __future__ import annotations

import httpx
import pytest
from alibabacloud_smartag20180313 import models as sag
from alibabacloud_smartag20180313.client import Client
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException
from alibabacloud_tea_openapi.models import Config
from starlette.applications import Starlette

from tests.fixtures.alibaba_kit import AK, RO_AK, RO_SK, SK
from tests.fixtures.alibaba_sag_ids import LAN1, LAN2, REGION, SAG, SAG_LOCKED, VIP, WAN1
from tests.fixtures.simkit import LiveServer, sim

ALGORITHMS = [None, "v2"]  # None: the SDK's default ACS3-HMAC-SHA256; "v2": v1 HMAC-SHA1


def sag_client(
    live: LiveServer, algorithm: str | None, *, ak: str = AK, secret: str = SK
) -> Client:
    config = Config(
        access_key_id=ak,
        access_key_secret=secret,
        endpoint=f"127.0.0.1:{live.port}",
        protocol="http",
        region_id=REGION,
        read_timeout=10_000,
        connect_timeout=5_000,
    )
    if algorithm is not None:
        config.signature_algorithm = algorithm
    return Client(config)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_official_sdk_add_describe_delete(live: LiveServer, algorithm: str | None) -> None:
    client = sag_client(live, algorithm)

    added = client.add_dnat_entry(
        sag.AddDnatEntryRequest(
            region_id=REGION,
            sag_id=SAG,
            type="Intranet",
            external_ip=VIP,
            external_port="8080",
            internal_ip=LAN1,
            internal_port="80",
            ip_protocol="TCP",
        )
    )
    assert added.status_code == 200 and added.body.request_id
    intranet_id = added.body.dnat_entry_id
    assert intranet_id.startswith("fwd-")
    internet_id = client.add_dnat_entry(
        sag.AddDnatEntryRequest(
            region_id=REGION,
            sag_id=SAG,
            type="Internet",
            external_port="443",
            internal_ip=LAN2,
            internal_port="8443",
            ip_protocol="Any",
        )
    ).body.dnat_entry_id

    listed = client.describe_dnat_entries(
        sag.DescribeDnatEntriesRequest(region_id=REGION, sag_id=SAG, page_size=50)
    ).body
    assert (listed.total_count, listed.page_number, listed.page_size) == (1, 1, 50)
    [shown] = listed.dnat_entries.dnat_entry
    assert (shown.dnat_entry_id, shown.sag_id, shown.type) == (intranet_id, SAG, "Intranet")
    assert (shown.external_ip, shown.external_port, shown.ip_protocol) == (VIP, "8080", "tcp")
    assert (shown.internal_ip, shown.internal_port) == (LAN1, "80")

    [internet] = client.describe_dnat_entries(
        sag.DescribeDnatEntriesRequest(region_id=REGION, sag_id=SAG, type="Internet")
    ).body.dnat_entries.dnat_entry
    assert (internet.dnat_entry_id, internet.external_ip, internet.ip_protocol) == (
        internet_id,
        WAN1,
        "any",
    )

    for entry_id in (intranet_id, internet_id):
        deleted = client.delete_dnat_entry(
            sag.DeleteDnatEntryRequest(region_id=REGION, sag_id=SAG, dnat_entry_id=entry_id)
        )
        assert deleted.status_code == 200 and deleted.body.request_id
    empty = client.describe_dnat_entries(
        sag.DescribeDnatEntriesRequest(region_id=REGION, sag_id=SAG, page_number=2)
    ).body
    assert (empty.total_count, empty.page_number, empty.page_size) == (0, 2, 10)
    assert empty.dnat_entries.dnat_entry == []


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_official_sdk_sees_our_error_codes(
    live: LiveServer, live_app: Starlette, algorithm: str | None
) -> None:
    client = sag_client(live, algorithm)
    with pytest.raises(ClientException) as invalid:
        client.add_dnat_entry(
            sag.AddDnatEntryRequest(
                region_id=REGION,
                sag_id="sag-0nnvdb0r1mtjvzzzzzz",
                external_ip=VIP,
                external_port="22",
                internal_ip=LAN1,
                internal_port="22",
                ip_protocol="TCP",
            )
        )
    error = invalid.value
    assert (error.status_code, error.code) == (403, "InvalidId.SMARTAG")
    assert error.request_id and error.data["HostId"] == "smartag.aliyuncs.com"

    with pytest.raises(ClientException) as missing:
        client.delete_dnat_entry(sag.DeleteDnatEntryRequest(region_id=REGION, sag_id=SAG))
    assert (missing.value.status_code, missing.value.code) == (403, "MissingParameter")
    assert "DnatEntryId" in missing.value.message

    with pytest.raises(ClientException) as page_size:
        client.describe_dnat_entries(
            sag.DescribeDnatEntriesRequest(region_id=REGION, sag_id=SAG, page_size=51)
        )
    assert page_size.value.code == "InvalidParameter"

    # 500: the SDK's ServerException, as for any server-side code
    with pytest.raises(ServerException) as locked:
        client.delete_dnat_entry(
            sag.DeleteDnatEntryRequest(region_id=REGION, sag_id=SAG_LOCKED, dnat_entry_id="fwd-x")
        )
    assert (locked.value.status_code, locked.value.code) == (500, "SmartAccessGatewayInArrears")

    reader = sag_client(live, algorithm, ak=RO_AK, secret=RO_SK)
    with pytest.raises(ClientException) as denied:
        reader.delete_dnat_entry(
            sag.DeleteDnatEntryRequest(region_id=REGION, sag_id=SAG, dnat_entry_id="fwd-x")
        )
    assert denied.value.code == "Forbidden"

    sim(live_app).settings.alibaba_sag_internal_error = True
    with pytest.raises(ClientException) as internal:
        client.describe_dnat_entries(sag.DescribeDnatEntriesRequest(region_id=REGION, sag_id=SAG))
    assert (internal.value.status_code, internal.value.code) == (403, "InternalError")


def test_official_sdk_calls_are_logged_by_action(live: LiveServer) -> None:
    sag_client(live, None).describe_dnat_entries(
        sag.DescribeDnatEntriesRequest(region_id=REGION, sag_id=SAG)
    )
    entries = httpx.get(live.url + "/_sim/requests").json()["requests"]
    assert (entries[-1]["family"], entries[-1]["action"]) == ("alibaba-sag", "DescribeDnatEntries")
    assert entries[-1]["caller"] == AK and entries[-1]["status"] == 200
