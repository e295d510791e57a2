"""The ENS family's section of the inventory YAML: ``alibaba: {ens: {...}}``.

NAT gateways, EIPs, instances and SNAT entries are what a forward entry
refers to; the forward entries the API makes are kept in the family's tables
(``world.py``) and folded back here on every commit.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from cloudnet.sim.core import Strict
from cloudnet.sim.family import Section

# -- Alibaba Cloud ENS (Edge Node Service, API 2017-11-10) --------------------------------

#: ENS forward entry statuses (DescribeForwardTableEntries): Pending while being created
#: or modified, Available, Deleting until it is gone
EnsEntryStatus = Literal["Pending", "Available", "Deleting"]


class EnsNatGateway(Strict):
    """An ENS NAT gateway; only ``Running`` gateways accept new forward entries."""

    id: str
    name: str = ""
    ens_region_id: str = ""
    network_id: str = ""
    vswitch_id: str = ""
    #: Running | Creating | Modifying | Deleting: anything but Running answers SystemBusy
    status: str = "Running"


class EnsEip(Strict):
    """An ENS EIP. ``instance_id`` is what it is bound to (a NAT gateway, an instance, None)."""

    id: str
    ip_address: str
    instance_id: str | None = None
    #: bound to its NAT gateway as a standby (secondary) EIP: usable only as StandbyExternalIp
    standby: bool = False


class EnsInstance(Strict):
    """An ENS instance, found by its private IP (a forward entry's InternalIp)."""

    id: str
    name: str = ""
    private_ip: str
    network_id: str = ""
    #: Running | Stopped | Starting | Stopping | Releasing ...: only Running backs an entry
    status: str = "Running"


class EnsSnatEntry(Strict):
    """An SNAT entry; its ``snat_ip`` cannot serve as a forward entry's ExternalIp."""

    id: str
    nat_gateway_id: str
    snat_ip: str
    source_cidr: str = ""


class EnsForwardEntry(Strict):
    """A forward (DNAT) entry; the wire names are the DescribeForwardTableEntries fields."""

    id: str
    nat_gateway_id: str
    forward_entry_name: str = ""
    external_ip: str
    external_port: str
    internal_ip: str
    internal_port: str
    ip_protocol: Literal["TCP", "UDP", "Any"] = "Any"
    health_check_port: int | None = None
    standby_external_ip: str = ""
    status: EnsEntryStatus = "Available"
    #: simulator-internal: epoch seconds when ``status`` was entered (drives the lifecycle),
    #: and which call made it Pending (the create and modify delays differ)
    status_since: float = 0.0
    pending_after: Literal["create", "modify"] = "create"

    def public(self) -> dict[str, Any]:
        """The DescribeForwardTableEntries entry (the SDK's ...ForwardTableEntries model).

        Unset strings answer ``""``; HealthCheckPort is a string there (the SDK types it str).
        """
        return {
            "ExternalIp": self.external_ip,
            "ExternalPort": self.external_port,
            "ForwardEntryId": self.id,
            "ForwardEntryName": self.forward_entry_name,
            "HealthCheckPort": ""
            if self.health_check_port is None
            else str(self.health_check_port),
            "InternalIp": self.internal_ip,
            "InternalPort": self.internal_port,
            "IpProtocol": self.ip_protocol,
            "NatGatewayId": self.nat_gateway_id,
            "StandbyExternalIp": self.standby_external_ip,
            "StandbyStatus": "Running" if self.standby_external_ip else "",
            "Status": self.status,
        }


class EnsInventory(Strict):
    nat_gateways: list[EnsNatGateway] = Field(default_factory=list)
    eips: list[EnsEip] = Field(default_factory=list)
    instances: list[EnsInstance] = Field(default_factory=list)
    snat_entries: list[EnsSnatEntry] = Field(default_factory=list)
    forward_entries: list[EnsForwardEntry] = Field(default_factory=list)


SECTIONS = (Section(("alibaba", "ens"), EnsInventory),)
