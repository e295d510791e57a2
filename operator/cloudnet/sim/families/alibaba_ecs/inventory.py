"""The ECS family's section of the inventory YAML: ``alibaba: {ecs: {...}}``.

ENIs are edited in place here (ModifyNetworkInterfaceAttribute changes
existing objects only), so the family keeps no tables of its own.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from cloudnet.sim.core import Strict
from cloudnet.sim.family import Section

# -- Alibaba Cloud ECS (API 2014-05-26): elastic network interfaces ----------------------

#: ENI statuses (DescribeNetworkInterfaces): only Available and InUse ENIs take changes
EniStatus = Literal["Available", "Attaching", "InUse", "Detaching", "Deleting"]
#: Primary: an instance's own NIC (name and description only); Trunk: carries member ENIs
EniType = Literal["Primary", "Secondary", "Trunk"]
EniTrafficMode = Literal["Standard", "HighPerformance"]


class EcsRegion(Strict):
    """An ECS region and the optional ENI features it offers.

    The features are the parameters the ModifyNetworkInterfaceAttribute
    reference notes as regional. A RegionId that is not listed answers
    ``Forbidden.RegionId``. Each false flag makes the matching parameter
    answer its "not supported in this region" code (see ``api.py``).
    """

    id: str
    #: SourceDestCheck ("available only in specific regions")
    source_dest_check: bool = True
    #: RxQueueSize / TxQueueSize (private preview)
    eni_queue_size: bool = True
    #: ConnectionTrackingConfiguration
    connection_tracking: bool = True
    #: EnhancedNetwork (not publicly available)
    enhanced_network: bool = True
    #: security groups one ENI may join (the account quota; an instance type may lower it)
    security_groups_per_eni: int = Field(default=5, ge=1)


class EcsVSwitch(Strict):
    id: str
    zone_id: str
    cidr_block: str = ""


class EcsVpc(Strict):
    id: str
    region_id: str
    name: str = ""
    cidr_block: str = ""
    vswitches: list[EcsVSwitch] = Field(default_factory=list)


class EcsInstanceType(Strict):
    """An instance type's ENI limits, named after DescribeInstanceTypes' fields."""

    id: str
    generation: int = 7
    #: queues of a primary / secondary ENI whose QueueNumber was never set
    primary_eni_queue_number: int = Field(default=4, ge=1)
    secondary_eni_queue_number: int = Field(default=4, ge=1)
    #: MaximumQueueNumberPerEni and TotalEniQueueQuantity (all ENIs of one instance)
    maximum_queue_number_per_eni: int = Field(default=8, ge=1)
    total_eni_queue_quantity: int = Field(default=32, ge=1)
    #: false: QueueNumber cannot change on this type (InvalidOperation.NotSupportModifyQueueNumber)
    queue_number_modifiable: bool = True
    #: EriQuantity: HighPerformance (eRDMA) ENIs per instance; 0 = no RDMA support
    eri_quantity: int = Field(default=0, ge=0)
    #: QueuePairNumber: RDMA queue pairs per ERI, and for all ERIs of one instance
    queue_pair_number: int = Field(default=0, ge=0)
    total_queue_pair_number: int = Field(default=0, ge=0)
    #: largest RxQueueSize/TxQueueSize; None = no queue depth (6th generation and older)
    max_queue_size: int | None = None
    #: EnhancedNetwork capabilities
    sriov: bool = False
    rss: bool = False
    #: security groups per ENI on this type; None = the region's quota
    max_security_groups_per_eni: int | None = Field(default=None, ge=1)


class EcsInstance(Strict):
    id: str
    name: str = ""
    region_id: str
    zone_id: str = ""
    vpc_id: str = ""
    instance_type: str
    #: Running | Stopped | Starting | Stopping | Pending
    status: str = "Running"


class EcsSecurityGroup(Strict):
    """A security group. ``capacity`` counts member ENIs plus ``other_members``."""

    id: str
    name: str = ""
    region_id: str
    #: classic: a classic-network group, never joinable by an ENI
    network_type: Literal["vpc", "classic"] = "vpc"
    vpc_id: str = ""
    #: normal (basic) or enterprise; one ENI cannot mix both
    type: Literal["normal", "enterprise"] = "normal"
    #: managed by a cloud product (e.g. ACK, NAS): nobody may put an ENI in it
    service_managed: bool = False
    capacity: int = Field(default=2000, ge=0)
    #: members that are not simulated ENIs (instances' primary NICs in other accounts' views)
    other_members: int = Field(default=0, ge=0)


class EcsNetworkInterface(Strict):
    """An ENI, flat (admin PATCH merges top-level fields); the wire shape is in ``api.py``."""

    id: str
    region_id: str
    network_interface_name: str = ""
    description: str = ""
    type: EniType = "Secondary"
    status: EniStatus = "Available"
    #: the instance an InUse / Attaching / Detaching ENI belongs to
    instance_id: str | None = None
    device_index: int | None = None
    vpc_id: str
    vswitch_id: str
    zone_id: str
    private_ip_address: str
    mac_address: str
    creation_time: str = "2025-01-15T08:00:00Z"
    owner_id: str = "1234567890123456"
    resource_group_id: str = ""
    #: used by an Alibaba Cloud service or a VNO: InvalidOperation.EniServiceManaged
    service_managed: bool = False
    security_group_ids: list[str] = Field(default_factory=list)
    #: None = never set: the instance type's default when attached, empty when Available
    queue_number: int | None = None
    rx_queue_size: int | None = None
    tx_queue_size: int | None = None
    delete_on_release: bool = True
    traffic_mode: EniTrafficMode = "Standard"
    queue_pair_number: int | None = None
    #: ConnectionTrackingConfiguration, ModifyNetworkInterfaceAttribute's defaults
    tcp_established_timeout: int = 910
    tcp_closed_and_time_wait_timeout: int = 3
    udp_timeout: int = 30
    #: EnhancedNetwork
    enable_sriov: bool = False
    enable_rss: bool | None = None
    virtual_function_quantity: int | None = None
    virtual_function_total_queue_number: int | None = None
    source_dest_check: bool = False
    #: IPv6 addresses: a HighPerformance ENI has none (EniTrafficModeNotSupportIPv6)
    ipv6_addresses: list[str] = Field(default_factory=list)
    #: Trunk ENIs: the member ENIs attached through it (not simulated further)
    member_network_interface_ids: list[str] = Field(default_factory=list)


class EcsInventory(Strict):
    regions: list[EcsRegion] = Field(default_factory=list)
    vpcs: list[EcsVpc] = Field(default_factory=list)
    instance_types: list[EcsInstanceType] = Field(default_factory=list)
    instances: list[EcsInstance] = Field(default_factory=list)
    security_groups: list[EcsSecurityGroup] = Field(default_factory=list)
    network_interfaces: list[EcsNetworkInterface] = Field(default_factory=list)


SECTIONS = (Section(("alibaba", "ecs"), EcsInventory),)
