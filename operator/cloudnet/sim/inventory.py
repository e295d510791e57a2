"""The simulator's world, as pydantic models of the inventory YAML.

The inventory names everything the simulated clouds know before the first
call (projects, NAT gateways, EIPs, ports, test credentials) and the
simulator's knobs (``settings``). The same models are the persisted state:
``--state`` writes an inventory (plus the objects created through the APIs)
as JSON, so a state file is simply a newer inventory and wins over the YAML.

Each cloud owns a top-level key (``huawei:``; ``alibaba:`` with one key per
product: ``ens:``, ``sag:``, ``ecs:``). Unknown top-level keys are kept as they are
(``extra="allow"``) so that an inventory written for a newer simulator still
loads; every model below the top level forbids unknown keys, so typos fail
loudly.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

#: the bundled copy of examples/sim-inventory.yaml (a test checks they are identical)
DEFAULT_INVENTORY_NAME = "default_inventory.yaml"

HuaweiRuleStatus = Literal[
    "ACTIVE", "PENDING_CREATE", "PENDING_UPDATE", "PENDING_DELETE", "EIP_FREEZED", "INACTIVE"
]
#: the created_at format of Huawei NAT v2 ("Querying Details of a DNAT Rule"):
#: ``yyyy-mm-dd hh:mm:ss.SSSSSS``
HUAWEI_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Settings(_Strict):
    """Simulator knobs; every one can be changed at run time through POST /_sim/settings."""

    #: seconds a Huawei DNAT rule stays PENDING_CREATE / PENDING_UPDATE / PENDING_DELETE
    huawei_dnat_create_delay: float = Field(default=1.0, ge=0)
    huawei_dnat_update_delay: float = Field(default=1.0, ge=0)
    huawei_dnat_delete_delay: float = Field(default=1.0, ge=0)
    #: DNAT rules per public NAT gateway (Huawei's documented quota)
    huawei_dnat_quota_per_gateway: int = Field(default=200, ge=0)
    #: DNAT rules per EIP (NAT.0313); no number is published, 0 = no limit of its own
    huawei_dnat_quota_per_eip: int = Field(default=0, ge=0)
    #: accepted |X-Sdk-Date - now| in seconds (Huawei API Gateway: 15 minutes)
    huawei_max_clock_skew: float = Field(default=900.0, ge=0)
    #: token bucket per caller: refill rate per second; 0 turns throttling off. Huawei counts
    #: per access key (or token) and answers APIGW.0308; Alibaba counts per account, product,
    #: API and region ("user flow control") and answers Throttling.User
    throttle_rate: float = Field(default=50.0, ge=0)
    #: token bucket size: requests allowed in a burst
    throttle_burst: int = Field(default=100, ge=1)
    #: Alibaba "API flow control": one bucket per product, API and region shared by every
    #: account (Throttling.Api); 0 = off
    alibaba_api_throttle_rate: float = Field(default=0.0, ge=0)
    alibaba_api_throttle_burst: int = Field(default=100, ge=1)
    #: Alibaba's gateway protecting one endpoint from concentrated calls, every API and account
    #: together (Throttling); 0 = off
    alibaba_endpoint_throttle_rate: float = Field(default=0.0, ge=0)
    alibaba_endpoint_throttle_burst: int = Field(default=200, ge=1)
    #: Huawei's API Gateway locks an AK/SK for ``huawei_aksk_lock_seconds`` after more than
    #: this many consecutive failed signatures (its FAQ: five, five minutes); 0 = never
    huawei_aksk_lock_failures: int = Field(default=5, ge=0)
    huawei_aksk_lock_seconds: float = Field(default=300.0, ge=0)
    #: Huawei's API Gateway answers 429 APIGW.0308 without a retry hint; true adds Retry-After
    #: (a proxy in front of it might)
    huawei_throttle_retry_after: bool = False
    #: entries kept in the request log ring buffer
    request_log_size: int = Field(default=2000, ge=1)
    #: seconds an ENS forward entry stays Pending after CreateForwardEntry / ModifyForwardEntry
    #: and Deleting after DeleteForwardEntry; 0 = immediate
    alibaba_ens_create_delay: float = Field(default=1.0, ge=0)
    alibaba_ens_modify_delay: float = Field(default=1.0, ge=0)
    alibaba_ens_delete_delay: float = Field(default=1.0, ge=0)
    #: forward entries one ENS NAT gateway holds (ForwardEntryLimitExceed beyond)
    alibaba_ens_forward_entry_limit: int = Field(default=100, ge=0)
    #: when true, CreateForwardEntry answers SystemBusy (the backend is overloaded)
    alibaba_ens_system_busy: bool = False
    #: when true, every SAG DNAT call that passes the parameter checks answers InternalError
    #: (403, as DescribeDnatEntries' reference gives it): the SAG backend is down
    alibaba_sag_internal_error: bool = False
    #: accepted |Timestamp or x-acs-date - now| in seconds (Alibaba's POP gateway: 15 minutes)
    alibaba_max_clock_skew: float = Field(default=900.0, ge=0)
    #: shortest DurationSeconds STS grants (the real STS: 900); tests lower it to see a refresh
    alibaba_sts_min_duration: int = Field(default=900, ge=1)
    #: lifetime of a Huawei IAM token from POST /v3/auth/tokens (the real IAM: 24 hours)
    huawei_token_lifetime: float = Field(default=86400.0, gt=0)
    #: shortest duration_seconds of a Huawei temporary AK/SK (the real IAM: 900)
    huawei_security_token_min_duration: int = Field(default=900, ge=1)


class HuaweiAccessKey(_Strict):
    """An AK/SK pair of an IAM user: valid in every project of its account (domain).

    ``project_id`` stands for an IAM policy granted in one project only (a
    sub-user's key meant for one region); None lets the key act in every
    project whose ``account`` is the key's. Elsewhere it answers APIGW.0302.
    A temporary pair (issued by IAM ``OS-CREDENTIAL/securitytokens``) has a
    ``security_token`` that must come in ``X-Security-Token``, and an expiry.
    """

    access_key: str
    secret_key: str
    account: str = ""
    project_id: str | None = None
    name: str = ""
    security_token: str | None = None
    #: epoch seconds after which the pair is refused (temporary pairs only)
    expires_at: float | None = None


class HuaweiToken(_Strict):
    """A project-scoped IAM token accepted in X-Auth-Token."""

    token: str
    project_id: str
    name: str = ""
    #: epoch seconds after which the token is refused (issued tokens; None: never)
    expires_at: float | None = None


class HuaweiUser(_Strict):
    """An IAM user who may get project-scoped tokens with a password (POST /v3/auth/tokens)."""

    name: str
    password: str
    domain_name: str
    project_ids: list[str] = Field(default_factory=list)


class HuaweiCredentials(_Strict):
    access_keys: list[HuaweiAccessKey] = Field(default_factory=list)
    tokens: list[HuaweiToken] = Field(default_factory=list)
    users: list[HuaweiUser] = Field(default_factory=list)


class AlibabaAccessKey(_Strict):
    """An AccessKey pair (v1 and ACS3 signatures), with the RAM permissions it carries.

    ``products`` lists the RAM service codes (``ens``, ``smartag``, ``ecs``) the
    key's policy allows; None allows every product. ``read_only`` keys may call
    Describe* only (a ReadOnlyAccess policy). Denied calls answer ``NoPermission``.
    """

    name: str = ""
    access_key_id: str
    access_key_secret: str
    #: the Alibaba Cloud account (UID) owning the key: user flow control counts per account,
    #: so two keys of one account share it; empty = an account of its own
    account: str = ""
    #: a disabled key (RAM console "Disable") answers InvalidAccessKeyId.Inactive
    enabled: bool = True
    products: list[str] | None = None
    read_only: bool = False
    #: STS credentials (issued by AssumeRoleWithOIDC) carry their token and expiry
    security_token: str | None = None
    expiration: float | None = None


class AlibabaOidcRole(_Strict):
    """A RAM role that trusts an OIDC provider (RRSA): AssumeRoleWithOIDC may assume it.

    The temporary keys it yields carry the role's ``products`` / ``read_only``.
    """

    role_arn: str
    oidc_provider_arn: str
    products: list[str] | None = None
    read_only: bool = False
    #: the role's MaxSessionDuration (RAM: 3600 unless raised, up to 43200)
    max_session_duration: int = Field(default=3600, ge=1)


class AlibabaCredentials(_Strict):
    access_keys: list[AlibabaAccessKey] = Field(default_factory=list)
    oidc_roles: list[AlibabaOidcRole] = Field(default_factory=list)
    #: temporary keys STS issued (kept, with the state file, until they expire)
    sts_keys: list[AlibabaAccessKey] = Field(default_factory=list)


class Credentials(BaseModel):
    """Test credentials per cloud; unknown clouds' keys are kept (``extra="allow"``)."""

    model_config = ConfigDict(extra="allow")

    huawei: HuaweiCredentials = Field(default_factory=HuaweiCredentials)
    alibaba: AlibabaCredentials = Field(default_factory=AlibabaCredentials)


class NatGateway(_Strict):
    id: str
    name: str = ""
    description: str = ""
    #: ACTIVE | PENDING_CREATE | PENDING_UPDATE | INACTIVE ...: only ACTIVE accepts rules
    status: str = "ACTIVE"
    admin_state_up: bool = True
    vpc_id: str = ""
    spec: str = "1"


class Eip(_Strict):
    """An EIP (``floating_ip_id``) or a global EIP (``global_eip_id``)."""

    id: str
    address: str
    #: what the EIP is bound to outside DNAT: None (free), a NAT gateway id (its SNAT:
    #: DNAT rules of that same gateway may share it) or anything else, e.g. an ECS port
    #: id (then no DNAT rule may use it: NAT.0402)
    bound_to: str | None = None
    #: frozen (arrears, security lock): no DNAT rule may take it (NAT.0401)
    frozen: bool = False


class Port(_Strict):
    """An ECS/BMS network port usable as a rule's ``port_id``."""

    id: str
    fixed_ip: str
    vpc_id: str = ""
    device_id: str = ""
    name: str = ""
    #: Neutron's owner; ``neutron:VIP_PORT`` is a virtual IP, which DNAT refuses (NAT.0312)
    device_owner: str = ""


class DnatRule(_Strict):
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


class HuaweiProject(_Strict):
    id: str
    region: str = "cn-north-4"
    #: the account (domain) owning the project: its IAM users' AK/SK act here
    account: str = ""
    nat_gateways: list[NatGateway] = Field(default_factory=list)
    eips: list[Eip] = Field(default_factory=list)
    global_eips: list[Eip] = Field(default_factory=list)
    ports: list[Port] = Field(default_factory=list)
    dnat_rules: list[DnatRule] = Field(default_factory=list)


class HuaweiInventory(_Strict):
    projects: list[HuaweiProject] = Field(default_factory=list)


# -- Alibaba Cloud ENS (Edge Node Service, API 2017-11-10) --------------------------------

#: ENS forward entry statuses (DescribeForwardTableEntries): Pending while being created
#: or modified, Available, Deleting until it is gone
EnsEntryStatus = Literal["Pending", "Available", "Deleting"]


class EnsNatGateway(_Strict):
    """An ENS NAT gateway; only ``Running`` gateways accept new forward entries."""

    id: str
    name: str = ""
    ens_region_id: str = ""
    network_id: str = ""
    vswitch_id: str = ""
    #: Running | Creating | Modifying | Deleting: anything but Running answers SystemBusy
    status: str = "Running"


class EnsEip(_Strict):
    """An ENS EIP. ``instance_id`` is what it is bound to (a NAT gateway, an instance, None)."""

    id: str
    ip_address: str
    instance_id: str | None = None
    #: bound to its NAT gateway as a standby (secondary) EIP: usable only as StandbyExternalIp
    standby: bool = False


class EnsInstance(_Strict):
    """An ENS instance, found by its private IP (a forward entry's InternalIp)."""

    id: str
    name: str = ""
    private_ip: str
    network_id: str = ""
    #: Running | Stopped | Starting | Stopping | Releasing ...: only Running backs an entry
    status: str = "Running"


class EnsSnatEntry(_Strict):
    """An SNAT entry; its ``snat_ip`` cannot serve as a forward entry's ExternalIp."""

    id: str
    nat_gateway_id: str
    snat_ip: str
    source_cidr: str = ""


class EnsForwardEntry(_Strict):
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


class AlibabaEns(_Strict):
    nat_gateways: list[EnsNatGateway] = Field(default_factory=list)
    eips: list[EnsEip] = Field(default_factory=list)
    instances: list[EnsInstance] = Field(default_factory=list)
    snat_entries: list[EnsSnatEntry] = Field(default_factory=list)
    forward_entries: list[EnsForwardEntry] = Field(default_factory=list)


# -- Alibaba Cloud Smart Access Gateway (SAG, API 2018-03-13) ----------------------------

#: SAG DNAT entry types (DescribeDnatEntries): Intranet (the default) or Internet
SagDnatType = Literal["Intranet", "Internet"]


class SagInstance(_Strict):
    """A SAG instance; the field values follow DescribeSmartAccessGateways' vocabulary.

    Only an ``Active`` hardware (CPE) instance in ``Normal`` business status
    takes DNAT changes (see ``sim/alibaba_sag.py``). ``wan_ips`` are the
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


class SagDnatEntry(_Strict):
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


class AlibabaSag(_Strict):
    instances: list[SagInstance] = Field(default_factory=list)
    dnat_entries: list[SagDnatEntry] = Field(default_factory=list)


# -- Alibaba Cloud ECS (API 2014-05-26): elastic network interfaces ----------------------

#: ENI statuses (DescribeNetworkInterfaces): only Available and InUse ENIs take changes
EniStatus = Literal["Available", "Attaching", "InUse", "Detaching", "Deleting"]
#: Primary: an instance's own NIC (name and description only); Trunk: carries member ENIs
EniType = Literal["Primary", "Secondary", "Trunk"]
EniTrafficMode = Literal["Standard", "HighPerformance"]


class EcsRegion(_Strict):
    """An ECS region and the optional ENI features it offers.

    The features are the parameters the ModifyNetworkInterfaceAttribute
    reference notes as regional. A RegionId that is not listed answers
    ``Forbidden.RegionId``. Each false flag makes the matching parameter
    answer its "not supported in this region" code (see ``sim/alibaba_ecs.py``).
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


class EcsVSwitch(_Strict):
    id: str
    zone_id: str
    cidr_block: str = ""


class EcsVpc(_Strict):
    id: str
    region_id: str
    name: str = ""
    cidr_block: str = ""
    vswitches: list[EcsVSwitch] = Field(default_factory=list)


class EcsInstanceType(_Strict):
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


class EcsInstance(_Strict):
    id: str
    name: str = ""
    region_id: str
    zone_id: str = ""
    vpc_id: str = ""
    instance_type: str
    #: Running | Stopped | Starting | Stopping | Pending
    status: str = "Running"


class EcsSecurityGroup(_Strict):
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


class EcsNetworkInterface(_Strict):
    """An ENI, flat (admin PATCH merges top-level fields); the wire shape is in alibaba_ecs."""

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


class AlibabaEcs(_Strict):
    regions: list[EcsRegion] = Field(default_factory=list)
    vpcs: list[EcsVpc] = Field(default_factory=list)
    instance_types: list[EcsInstanceType] = Field(default_factory=list)
    instances: list[EcsInstance] = Field(default_factory=list)
    security_groups: list[EcsSecurityGroup] = Field(default_factory=list)
    network_interfaces: list[EcsNetworkInterface] = Field(default_factory=list)


class AlibabaInventory(_Strict):
    """One key per simulated Alibaba product: ``ens``, ``sag``, ``ecs``."""

    ens: AlibabaEns = Field(default_factory=AlibabaEns)
    sag: AlibabaSag = Field(default_factory=AlibabaSag)
    ecs: AlibabaEcs = Field(default_factory=AlibabaEcs)


class Inventory(BaseModel):
    """The whole simulated world; also the format of the ``--state`` file."""

    model_config = ConfigDict(extra="allow")

    settings: Settings = Field(default_factory=Settings)
    credentials: Credentials = Field(default_factory=Credentials)
    huawei: HuaweiInventory = Field(default_factory=HuaweiInventory)
    alibaba: AlibabaInventory = Field(default_factory=AlibabaInventory)


def default_inventory_text() -> str:
    """The bundled default inventory (a byte-identical copy of examples/sim-inventory.yaml)."""
    return resources.files("cloudnet.sim").joinpath(DEFAULT_INVENTORY_NAME).read_text("utf-8")


#: libyaml's safe loader where PyYAML was built with it (the wheels are): the same
#: documents, parsed about ten times faster; each simulator app parses its inventory.
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_inventory(text: str) -> Inventory:
    data = yaml.load(text, Loader=_SafeLoader) or {}
    return Inventory.model_validate(data)


def load_inventory(path: Path | None) -> Inventory:
    """Read an inventory YAML (JSON is YAML too); None means the bundled default."""
    if path is None:
        return parse_inventory(default_inventory_text())
    return parse_inventory(path.read_text("utf-8"))
