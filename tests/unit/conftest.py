"""Fixtures shared by unit test modules (shared helpers: this folder's modules not named test_*)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from alibabacloud_tea_openapi.utils import Utils

from tests.unit.alibaba_client_kit import NONCE


@pytest.fixture
def sdk_requests() -> Iterator[list[Any]]:
    """Darabonba requests the official ENS SDK would send (the network call is cut off)."""
    seen: list[Any] = []

    class Stop(Exception):
        pass

    def capture(request: Any, runtime: Any = None) -> Any:
        seen.append(request)
        raise Stop

    with (
        mock.patch("alibabacloud_tea_openapi.client.DaraCore.do_action", side_effect=capture),
        mock.patch.object(Utils, "get_nonce", return_value=NONCE),
        mock.patch.object(Utils, "get_timestamp", return_value="2025-11-17T09:01:02Z"),
    ):
        yield seen
