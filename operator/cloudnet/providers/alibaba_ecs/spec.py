"""The ``NetworkInterfaceConfig`` kind: the attributes of an existing Alibaba ECS ENI.

The ENI itself is never created or deleted by the operator: the resource
declares attributes of an interface that exists, and the operator keeps them
so. Every parameter of ModifyNetworkInterfaceAttribute is mirrored in
lowerCamelCase. Its API reference (ECS) has QueueNumber, RxQueueSize and
TxQueueSize both at the top level and inside NetworkInterfaceTrafficConfig:
both are mirrored, and a spec sets one or the other, not both. Defaults
stated by that reference are the cloud's (said in the descriptions), never
schema defaults: the operator sends only what the spec sets.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Self

from pydantic import Field, model_validator

from cloudnet.api.common import (
    LocalObjectReference,
    Model,
    ResourceStatus,
    StatusModel,
    cel,
    immutable,
    rules,
)

_NO_URL = cel(
    "!self.startsWith('http://') && !self.startsWith('https://')",
    "must not start with http:// or https://",
)
#: Letters, digits, Chinese characters (U+4E00..U+9FA5), ':', '_', '.', '-'; a letter or
#: Chinese character first. Literal characters, not escapes: RE2 and Python spell those apart.
NAME_PATTERN = "^[a-zA-Z\u4e00-\u9fa5][a-zA-Z0-9\u4e00-\u9fa5:_.-]{1,127}$"
TCP_ESTABLISHED = (30, 60, 80, 100, 200, 300, 500, 700, 910)
UDP_TIMEOUTS = (10, 20, 30, 60, 80, 100)


class TrafficConfig(Model):
    """NetworkInterfaceTrafficConfig: the ENI's communication parameters."""

    cel_rules: ClassVar[list[dict[str, str]]] = [
        cel(
            "!has(self.queuePairNumber) || (has(self.networkInterfaceTrafficMode) &&"
            " self.networkInterfaceTrafficMode == 'HighPerformance')",
            "queuePairNumber must be empty unless networkInterfaceTrafficMode is HighPerformance",
        ),
        cel(
            "has(self.rxQueueSize) == has(self.txQueueSize) &&"
            " (!has(self.rxQueueSize) || self.rxQueueSize == self.txQueueSize)",
            "rxQueueSize and txQueueSize must be set together and be equal",
        ),
        cel(
            "!has(oldSelf.networkInterfaceTrafficMode) ||"
            " oldSelf.networkInterfaceTrafficMode != 'HighPerformance' ||"
            " (has(self.networkInterfaceTrafficMode) &&"
            " self.networkInterfaceTrafficMode == 'HighPerformance')",
            "networkInterfaceTrafficMode cannot go back from HighPerformance to Standard",
        ),
    ]

    network_interface_traffic_mode: Literal["Standard", "HighPerformance"] | None = Field(
        default=None,
        description=(
            "NetworkInterfaceTrafficMode: Standard (TCP) or HighPerformance (Elastic RDMA). "
            "The cloud cannot switch back to Standard."
        ),
    )
    queue_number: int | None = Field(
        default=None, ge=1, le=2048, description="QueueNumber: queues of the ENI, 1-2048."
    )
    queue_pair_number: int | None = Field(
        default=None,
        ge=1,
        description="QueuePairNumber: RDMA queues; only with HighPerformance mode.",
    )
    rx_queue_size: int | None = Field(
        default=None, ge=1, description="RxQueueSize: receive queue depth; equal to txQueueSize."
    )
    tx_queue_size: int | None = Field(
        default=None, ge=1, description="TxQueueSize: transmit queue depth; equal to rxQueueSize."
    )

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if self.queue_pair_number is not None and (
            self.network_interface_traffic_mode != "HighPerformance"
        ):
            raise ValueError(
                "queuePairNumber must be empty unless networkInterfaceTrafficMode is "
                "HighPerformance"
            )
        if self.rx_queue_size != self.tx_queue_size:
            raise ValueError("rxQueueSize and txQueueSize must be set together and be equal")
        return self


class ConnectionTracking(Model):
    """ConnectionTrackingConfiguration: connection timeouts, in seconds."""

    tcp_established_timeout: Literal[30, 60, 80, 100, 200, 300, 500, 700, 910] | None = Field(
        default=None,
        description=(
            "TcpEstablishedTimeout: 30, 60, 80, 100, 200, 300, 500, 700 or 910. The cloud's "
            "default is 910."
        ),
    )
    tcp_closed_and_time_wait_timeout: int | None = Field(
        default=None,
        ge=3,
        le=15,
        description="TcpClosedAndTimeWaitTimeout: 3-15. The cloud's default is 3.",
    )
    udp_timeout: Literal[10, 20, 30, 60, 80, 100] | None = Field(
        default=None,
        description="UdpTimeout: 10, 20, 30, 60, 80 or 100. The cloud's default is 30.",
    )


class EnhancedNetwork(Model):
    """EnhancedNetwork: SR-IOV and RSS (not publicly available in the cloud)."""

    cel_rules: ClassVar[list[dict[str, str]]] = [
        cel(
            "(has(self.enableSriov) && self.enableSriov) ?"
            " (has(self.virtualFunctionTotalQueueNumber) && has(self.virtualFunctionQuantity))"
            " : (!has(self.virtualFunctionTotalQueueNumber) &&"
            " !has(self.virtualFunctionQuantity))",
            "with enableSriov true, virtualFunctionTotalQueueNumber and virtualFunctionQuantity"
            " (1-256) are required; otherwise both must be empty",
        ),
    ]

    enable_sriov: bool | None = Field(default=None, description="EnableSriov.")
    enable_rss: bool | None = Field(default=None, description="EnableRss.")
    virtual_function_total_queue_number: int | None = Field(
        default=None,
        ge=1,
        description="VirtualFunctionTotalQueueNumber: required when enableSriov is true.",
    )
    virtual_function_quantity: int | None = Field(
        default=None,
        ge=1,
        le=256,
        description="VirtualFunctionQuantity: 1-256, required when enableSriov is true.",
    )

    @model_validator(mode="after")
    def _rules(self) -> Self:
        vf = (self.virtual_function_total_queue_number, self.virtual_function_quantity)
        if self.enable_sriov:
            if None in vf:
                raise ValueError(
                    "with enableSriov true, virtualFunctionTotalQueueNumber and "
                    "virtualFunctionQuantity (1-256) are required; otherwise both must be empty"
                )
        elif vf != (None, None):
            raise ValueError(
                "with enableSriov true, virtualFunctionTotalQueueNumber and "
                "virtualFunctionQuantity (1-256) are required; otherwise both must be empty"
            )
        return self


NIC_RULES = [
    *(
        cel(
            f"!has(self.{top}) || !has(self.networkInterfaceTrafficConfig) ||"
            f" !has(self.networkInterfaceTrafficConfig.{top})",
            f"set {top} or networkInterfaceTrafficConfig.{top}, not both",
        )
        for top in ("queueNumber", "rxQueueSize", "txQueueSize")
    ),
    cel(
        "has(self.rxQueueSize) == has(self.txQueueSize) &&"
        " (!has(self.rxQueueSize) || self.rxQueueSize == self.txQueueSize)",
        "rxQueueSize and txQueueSize must be set together and be equal",
    ),
]


class NetworkInterfaceConfigSpec(Model):
    """The ENI and the attributes to keep on it (set with ECS ModifyNetworkInterfaceAttribute)."""

    cel_rules: ClassVar[list[dict[str, str]]] = NIC_RULES

    provider_config_ref: LocalObjectReference = Field(
        description="The ProviderConfig (provider alibaba-ecs) in this namespace. Immutable.",
        json_schema_extra=immutable("providerConfigRef"),
    )
    deletion_policy: Literal["Orphan", "Restore"] | None = Field(
        default=None,
        description=(
            "Orphan (the default) leaves the ENI as it is when the resource goes; Restore puts "
            "back the attributes recorded in status.original before the first change."
        ),
    )
    management_policy: Literal["Manage", "ObserveOnly"] | None = Field(
        default=None,
        description="Manage (the default) applies and keeps the attributes; ObserveOnly reports.",
    )
    region_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[a-z0-9-]+$",
        description="RegionId: the ENI's region, e.g. cn-hangzhou. Immutable.",
        json_schema_extra=immutable("regionId"),
    )
    network_interface_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^eni-[0-9a-zA-Z]+$",
        description="NetworkInterfaceId: the existing ENI, eni-... Immutable.",
        json_schema_extra=immutable("networkInterfaceId"),
    )
    network_interface_name: str | None = Field(
        default=None,
        min_length=2,
        max_length=128,
        pattern=NAME_PATTERN,
        description=(
            "NetworkInterfaceName: 2-128 characters, starting with a letter or a Chinese "
            "character; letters, digits, Chinese characters, ':', '_', '.', '-' (so never "
            "http:// or https://). Default: empty."
        ),
    )
    description: str | None = Field(
        default=None,
        min_length=2,
        max_length=255,
        description="Description: 2-255 characters, not starting with http:// or https://.",
        json_schema_extra=rules(_NO_URL),
    )
    queue_number: int | None = Field(
        default=None,
        ge=1,
        le=2048,
        description=(
            "QueueNumber: 1-2048, within the instance type's limits; changeable while the ENI is "
            "Available or its instance is Stopped. Or set networkInterfaceTrafficConfig."
            "queueNumber, not both."
        ),
    )
    security_group_ids: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=16,
        description=(
            "SecurityGroupId.N: the security groups that replace the ENI's current ones "
            "(secondary ENIs only), no duplicates, within the per-ENI quota."
        ),
        json_schema_extra={
            "x-kubernetes-list-type": "set",
            **rules(
                cel(
                    "self.all(x, self.exists_one(y, y == x))",
                    "securityGroupIds must not repeat an id",
                )
            ),
            "items": {
                "type": "string",
                "minLength": 1,
                "maxLength": 64,
                "description": "A security group ID, sg-...",
            },
        },
    )
    delete_on_release: bool | None = Field(
        default=None,
        description="DeleteOnRelease: release the ENI with its instance (true) or keep it.",
    )
    rx_queue_size: int | None = Field(
        default=None,
        ge=1,
        description="RxQueueSize: receive queue depth, equal to txQueueSize (private preview).",
    )
    tx_queue_size: int | None = Field(
        default=None,
        ge=1,
        description="TxQueueSize: transmit queue depth, equal to rxQueueSize (private preview).",
    )
    network_interface_traffic_config: TrafficConfig | None = Field(
        default=None, description="NetworkInterfaceTrafficConfig: communication parameters."
    )
    connection_tracking_configuration: ConnectionTracking | None = Field(
        default=None, description="ConnectionTrackingConfiguration: connection timeouts."
    )
    enhanced_network: EnhancedNetwork | None = Field(
        default=None, description="EnhancedNetwork: SR-IOV and RSS settings."
    )
    source_dest_check: bool | None = Field(
        default=None,
        description="SourceDestCheck: only in some regions. The cloud's default is false.",
    )

    @model_validator(mode="after")
    def _rules(self) -> Self:
        """The same rules as NIC_RULES and the field CEL, for objects that skipped admission."""
        if self.description is not None and self.description.startswith(("http://", "https://")):
            raise ValueError("description must not start with http:// or https://")
        if self.security_group_ids is not None and len(set(self.security_group_ids)) != len(
            self.security_group_ids
        ):
            raise ValueError("securityGroupIds must not repeat an id")
        traffic = self.network_interface_traffic_config
        for top in ("queue_number", "rx_queue_size", "tx_queue_size"):
            if getattr(self, top) is not None and traffic and getattr(traffic, top) is not None:
                camel = top.split("_")[0] + "".join(p.title() for p in top.split("_")[1:])
                raise ValueError(f"set {camel} or networkInterfaceTrafficConfig.{camel}, not both")
        if self.rx_queue_size != self.tx_queue_size:
            raise ValueError("rxQueueSize and txQueueSize must be set together and be equal")
        return self

    @property
    def effective_deletion_policy(self) -> str:
        return self.deletion_policy or "Orphan"

    @property
    def effective_management_policy(self) -> str:
        return self.management_policy or "Manage"

    def to_cloud(self) -> dict[str, Any]:
        """ModifyNetworkInterfaceAttribute parameters (nested objects as mappings)."""
        data = self.model_dump(
            by_alias=True,
            exclude_none=True,
            exclude={"provider_config_ref", "deletion_policy", "management_policy"},
        )
        return {_pascal(k): _pascal_tree(v) for k, v in data.items()}


def _pascal(name: str) -> str:
    if name == "securityGroupIds":
        return "SecurityGroupId"
    return name[0].upper() + name[1:]


def _pascal_tree(value: Any) -> Any:
    if isinstance(value, dict):
        return {_pascal(k): _pascal_tree(v) for k, v in value.items()}
    return value


class NicStatus(ResourceStatus):
    """The status every cloudnet kind reports, plus the ENI's attributes before any change."""

    original: dict[str, Any] | None = Field(
        default=None,
        description=(
            "The ENI's attributes as first observed, before any change: what "
            "deletionPolicy Restore puts back."
        ),
        json_schema_extra={"x-kubernetes-preserve-unknown-fields": True},
    )
    write_only_generation: int | None = Field(
        default=None,
        description=(
            "The generation whose write-only parameters (RxQueueSize, TxQueueSize: no ECS "
            "answer shows them) were last sent."
        ),
    )


__all__ = [
    "ConnectionTracking",
    "EnhancedNetwork",
    "NetworkInterfaceConfigSpec",
    "NicStatus",
    "StatusModel",
    "TrafficConfig",
]
