"""The SAG family's section of the inventory YAML: ``alibaba: {sag: {...}}``."""

from __future__ import annotations

import ipaddress
from typing import Any, Literal

from pydantic import Field, field_validator

from cloudnet.sim.core import Strict
from cloudnet.sim.family import Section

# -- Alibaba Cloud Smart Access Gateway (SAG, API 2018-03-13) ----------------------------

#: SAG DNAT entry types (DescribeDnatEntries): Intranet (the default) or Internet
SagDnatType = Literal["Intranet", "Internet"]


class SagInstance(Strict):
    """A SAG instance; the field values follow DescribeSmartAccessGateways' vocabulary.

    Only an ``Active`` hardware (CPE) instance in ``Normal`` business status
    takes DNAT changes (see ``api.py``). ``wan_ips`` are the
    public IPs of its WAN ports (an Internet entry's ExternalIp); ``lan_cidrs``
    are the private networks behind it (every entry's InternalIp).
    """

    id: str
    name: str = ""
    region_id: str = "cn-shanghai"
    #: hardware: an SAG CPE instance; software: an SAG app instance (no DNAT, DescribeDnatEntries)
    type: Literal["hardware", "software"] = "hardware"
    hardware_version: str = ""
    #: Ordered | Delivered | Received | Returning | Active | init | Offline
    status: str = "Active"
    #: Normal | Arrearage (locked for overdue payments)
    business_status: str = "Normal"
    wan_ips: list[str] = Field(default_factory=list)
    lan_cidrs: list[str] = Field(default_factory=list)

    @field_validator("wan_ips")
    @classmethod
    def _ipv4s(cls, values: list[str]) -> list[str]:
        for value in values:
            ipaddress.IPv4Address(value)
        return values

    @field_validator("lan_cidrs")
    @classmethod
    def _networks(cls, values: list[str]) -> list[str]:
        for value in values:
            ipaddress.IPv4Network(value)
        return values


class SagDnatEntry(Strict):
    """A SAG DNAT entry, in the wire's spelling (ports and protocol as Describe shows them)."""

    id: str
    sag_id: str
    type: SagDnatType = "Intranet"
    #: ``""`` never happens through the API (Intranet requires it, Internet defaults it)
    external_ip: str = ""
    #: ``1``-``65535`` or ``any``
    external_port: str
    internal_ip: str
    internal_port: str
    ip_protocol: Literal["tcp", "udp", "any"]

    def public(self) -> dict[str, Any]:
        """The DescribeDnatEntries ``DnatEntry`` (its reference's field order)."""
        return {
            "Type": self.type,
            "SagId": self.sag_id,
            "InternalIp": self.internal_ip,
            "InternalPort": self.internal_port,
            "IpProtocol": self.ip_protocol,
            "ExternalPort": self.external_port,
            "DnatEntryId": self.id,
            "ExternalIp": self.external_ip,
        }


class SagInventory(Strict):
    instances: list[SagInstance] = Field(default_factory=list)
    dnat_entries: list[SagDnatEntry] = Field(default_factory=list)


SECTIONS = (Section(("alibaba", "sag"), SagInventory),)
