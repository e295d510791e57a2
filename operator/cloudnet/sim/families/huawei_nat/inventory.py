"""The Huawei NAT family's section of the inventory YAML: ``huawei: {projects: [...]}``.

A project holds what its DNAT rules refer to (NAT gateways, EIPs, global
EIPs, ports) and the rules themselves; the rules the API makes are kept in
the family's tables (``world.py``) and folded back here on every commit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from cloudnet.sim.core import Strict
from cloudnet.sim.family import Section

HuaweiRuleStatus = Literal[
    "ACTIVE", "PENDING_CREATE", "PENDING_UPDATE", "PENDING_DELETE", "EIP_FREEZED", "INACTIVE"
]
#: the created_at format of Huawei NAT v2 ("Querying Details of a DNAT Rule"):
#: ``yyyy-mm-dd hh:mm:ss.SSSSSS``
HUAWEI_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


class NatGateway(Strict):
    id: str
    name: str = ""
    description: str = ""
    #: ACTIVE | PENDING_CREATE | PENDING_UPDATE | INACTIVE ...: only ACTIVE accepts rules
    status: str = "ACTIVE"
    admin_state_up: bool = True
    vpc_id: str = ""
    spec: str = "1"


class Eip(Strict):
    """An EIP (``floating_ip_id``) or a global EIP (``global_eip_id``)."""

    id: str
    address: str
    #: what the EIP is bound to outside DNAT: None (free), a NAT gateway id (its SNAT:
    #: DNAT rules of that same gateway may share it) or anything else, e.g. an ECS port
    #: id (then no DNAT rule may use it: NAT.0402)
    bound_to: str | None = None
    #: frozen (arrears, security lock): no DNAT rule may take it (NAT.0401)
    frozen: bool = False


class Port(Strict):
    """An ECS/BMS network port usable as a rule's ``port_id``."""

    id: str
    fixed_ip: str
    vpc_id: str = ""
    device_id: str = ""
    name: str = ""
    #: Neutron's owner; ``neutron:VIP_PORT`` is a virtual IP, which DNAT refuses (NAT.0312)
    device_owner: str = ""


class DnatRule(Strict):
    """A DNAT rule; the public fields are the ShowNatGatewayDnatRule response, in its order."""

    id: str
    tenant_id: str
    description: str = ""
    port_id: str = ""
    private_ip: str = ""
    internal_service_port: int = 0
    nat_gateway_id: str
    floating_ip_id: str = ""
    floating_ip_address: str = ""
    global_eip_id: str = ""
    global_eip_address: str = ""
    external_service_port: int = 0
    status: HuaweiRuleStatus = "ACTIVE"
    admin_state_up: bool = True
    internal_service_port_range: str = ""
    external_service_port_range: str = ""
    protocol: str = "tcp"
    created_at: str = Field(
        default_factory=lambda: dt.datetime.now(dt.UTC).strftime(HUAWEI_TIME_FORMAT)
    )
    #: simulator-internal: epoch seconds when ``status`` was entered (drives the lifecycle)
    status_since: float = 0.0

    def public(self) -> dict[str, Any]:
        """The wire shape (ShowNatGatewayDnatRule): every field but the simulator's bookkeeping."""
        return self.model_dump(exclude={"status_since"})


class HuaweiProject(Strict):
    id: str
    region: str = "cn-north-4"
    #: the account (domain) owning the project: its IAM users' AK/SK act here
    account: str = ""
    nat_gateways: list[NatGateway] = Field(default_factory=list)
    eips: list[Eip] = Field(default_factory=list)
    global_eips: list[Eip] = Field(default_factory=list)
    ports: list[Port] = Field(default_factory=list)
    dnat_rules: list[DnatRule] = Field(default_factory=list)


class HuaweiInventory(Strict):
    projects: list[HuaweiProject] = Field(default_factory=list)


SECTIONS = (Section(("huawei",), HuaweiInventory),)
