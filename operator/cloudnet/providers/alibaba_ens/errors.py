"""ENS's error table: every code its calls' references list, classed, per call."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from cloudnet.clouds.alibaba import GATEWAY_ERRORS, per_call_errors
from cloudnet.clouds.errors import ErrorClass

#: The ENS parameters a spec sends (``AlibabaEnsSpec.to_cloud``): what the
#: ENS references' templates ``Missing%s``, ``Invalid%s`` and ``InvalidParameter.%s``
#: are filled in with. Ids the operator itself supplies (ForwardEntryId) and
#: paging parameters are left out: their refusal is our bug, not the spec's.
ENS_SPEC_PARAMETERS = (
    "NatGatewayId",
    "ExternalIp",
    "ExternalPort",
    "InternalIp",
    "InternalPort",
    "IpProtocol",
    "ForwardEntryName",
    "HealthCheckPort",
    "StandbyExternalIp",
)

_ENS_TEMPLATES = ("Missing{}", "Invalid{}", "InvalidParameter.{}")  # [EM][EC], all 400

#: ENS 2017-11-10 (CreateForwardEntry, ModifyForwardEntry and the same family's
#: DeleteForwardEntry / DescribeForwardTableEntries), each row with its source:
#:   [EC] "CreateForwardEntry", ENS API reference
#:   [EM] "ModifyForwardEntry", ENS API reference
#: Every code both references list, all with HTTP 400, and their templates filled in
#: with :data:`ENS_SPEC_PARAMETERS` (InvalidSpec unless a reference row says otherwise).
ENS_ERRORS: Mapping[str, ErrorClass] = MappingProxyType(
    {
        **{
            template.format(param): ErrorClass.INVALID_SPEC
            for template in _ENS_TEMPLATES
            for param in ENS_SPEC_PARAMETERS
        },
        **GATEWAY_ERRORS,
        # --- retry soon ---
        # "System is busy": load shedding; backing off is what helps, so it is
        # treated like throttling rather than as a one-off fault.
        "SystemBusy": ErrorClass.THROTTLED,  # [EC]
        "ens.interface.error": ErrorClass.TRANSIENT,  # [EM][EC] "Failed to call API"
        # --- something the spec names is missing ---
        # Our own DNAT entry on modify/delete: NotFound there (classify rule 1).
        "InvalidParameter.DnatNotFound": ErrorClass.DEPENDENCY_NOT_FOUND,  # [EM]
        "InvalidParameter.NatNotFound": ErrorClass.DEPENDENCY_NOT_FOUND,  # [EC]
        "InstanceNotFound": ErrorClass.DEPENDENCY_NOT_FOUND,  # [EM]
        "InvalidExternalIp.NotFound": ErrorClass.DEPENDENCY_NOT_FOUND,  # [EM] EIP not on the NAT
        "InvalidParameter.ExternalIp": ErrorClass.DEPENDENCY_NOT_FOUND,  # [EC] "not found"
        "InvalidParameter.InternalIpNotFound": ErrorClass.DEPENDENCY_NOT_FOUND,  # [EC]
        # --- a state or another party's object is in the way ---
        "IncorretDnatEntryStatus": ErrorClass.CONFLICT,  # [EM], its spelling (sic)
        "IncorrectInstanceStatus": ErrorClass.CONFLICT,  # [EM][EC]
        "Forbidden.ExternalPort.Duplicated": ErrorClass.CONFLICT,  # [EM][EC]
        "Forbidden.ExternalIpUsedInSnat": ErrorClass.CONFLICT,  # [EM][EC]
        "ForwardEntryLimitExceed": ErrorClass.CONFLICT,  # [EC] quota: frees up when one goes
        # --- the spec is wrong ---
        "InvalidPort.Malformed": ErrorClass.INVALID_SPEC,  # [EM][EC]
        "InvalidParameter.HealthCheckPort": ErrorClass.INVALID_SPEC,  # [EM][EC]
        "InvalidParameter.InternalIp": ErrorClass.INVALID_SPEC,  # [EC]
        # --- credentials ---
        "NoPermission": ErrorClass.AUTH_FAILED,  # [EM][EC]
    }
)

#: ENS, per call: the named codes (templates aside) of each call's reference table:
#: CreateForwardEntry [EC], ModifyForwardEntry [EM], DeleteForwardEntry
#: ("DeleteForwardEntry", ENS API reference, help.aliyun.com/document_detail/463617.html).
#: DescribeForwardTableEntries' page publishes no table: the codes a read by gateway
#: can meet (an unknown gateway, the backend, RAM), as its siblings spell them.
ENS_CALL_ERRORS: Mapping[str, Mapping[str, ErrorClass]] = per_call_errors(
    ENS_ERRORS,
    {
        "CreateForwardEntry": (
            "InvalidParameter.NatNotFound",
            "InvalidParameter.ExternalIp",
            "Forbidden.ExternalIpUsedInSnat",
            "InvalidParameter.InternalIpNotFound",
            "Forbidden.ExternalPort.Duplicated",
            "ForwardEntryLimitExceed",
            "InvalidParameter.HealthCheckPort",
            "IncorrectInstanceStatus",
            "SystemBusy",
            "InvalidParameter.InternalIp",
            "InvalidPort.Malformed",
            "ens.interface.error",
            "NoPermission",
        ),
        "ModifyForwardEntry": (
            "ens.interface.error",
            "InvalidParameter.DnatNotFound",
            "IncorretDnatEntryStatus",
            "InstanceNotFound",
            "IncorrectInstanceStatus",
            "Forbidden.ExternalPort.Duplicated",
            "InvalidExternalIp.NotFound",
            "InvalidPort.Malformed",
            "Forbidden.ExternalIpUsedInSnat",
            "InvalidParameter.HealthCheckPort",
            "NoPermission",
        ),
        "DeleteForwardEntry": (
            "ens.interface.error",
            "InvalidParameter.DnatNotFound",
            "IncorretDnatEntryStatus",
            "NoPermission",
        ),
        "DescribeForwardTableEntries": (
            "InvalidParameter.NatNotFound",
            "ens.interface.error",
            "NoPermission",
        ),
    },
)
