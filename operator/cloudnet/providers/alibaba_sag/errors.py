"""Smart Access Gateway's error table: every code its calls' references list, per call."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from cloudnet.clouds.alibaba import GATEWAY_ERRORS, per_call_errors
from cloudnet.clouds.errors import ErrorClass

# Smart Access Gateway 2018-03-13 (per call in SAG_CALL_ERRORS), each row with its HTTP
# status and source:
#   [S2]  "DescribeDnatEntries", SAG API reference (the call as the project was specified:
#         its four codes, all 403)
#   [SA]  "AddDnatEntry", SAG API reference (help.aliyun.com/document_detail/125444.htm;
#         the full table as in AlibabaCloudDocs/smartag, "AddDnatEntry.md")
#   [SD]  "DeleteDnatEntry", SAG API reference
#         (help.aliyun.com/zh/sag/developer-reference/api-smartag-2018-03-13-deletednatentry)
#   [SE]  "Error codes", SAG API reference (api-smartag-2018-03-13-errorcodes): product-wide
#         codes no DNAT page lists, kept so that a sibling answer is not read as a guess
#: Smart Access Gateway 2018-03-13: every SAG call's codes and the product's own, one
#: class per code across calls (a sibling's code is read as that sibling reads it).
SAG_ERRORS: Mapping[str, ErrorClass] = MappingProxyType(
    {
        **GATEWAY_ERRORS,
        "Forbidden": ErrorClass.AUTH_FAILED,  # 403 not authorized for the resource [S2][SA][SD]
        "MissingParameter": ErrorClass.INVALID_SPEC,  # 403 [S2][SA][SD]
        "InvalidParameter": ErrorClass.INVALID_SPEC,  # 403 [S2][SA][SD]
        "InternalError": ErrorClass.TRANSIENT,  # 403 as specified, a server fault [S2][SA][SD]
        # --- AddDnatEntry's own [SA] ---
        "InvalidRegionID": ErrorClass.INVALID_SPEC,  # 400 regionId unknown
        "MissingParam": ErrorClass.INVALID_SPEC,  # 400
        "IllegalParam": ErrorClass.INVALID_SPEC,  # 400
        # 400: the unique key is held by another entry, which may go away
        "DuplicatedDnatEntry": ErrorClass.CONFLICT,
        # 500 instance states only a human clears (activate, renew): not a server
        # fault, so not retried soon as the 5xx rule would
        "SmartAccessGatewayNotActivated": ErrorClass.CONFLICT,
        "SmartAccessGatewayInArrears": ErrorClass.CONFLICT,
        # 403 the device's edition lacks DNAT: an upgrade, not a spec change
        "FeatureNotSupport": ErrorClass.CONFLICT,
        "InvalidId.SMARTAG": ErrorClass.DEPENDENCY_NOT_FOUND,  # 403 SagId unknown
        # --- DeleteDnatEntry's own [SD] ---
        # 400 "the specified instance does not exist": the SAG or the entry;
        # the provider re-lists before it calls the entry gone
        "InstanceNotExit": ErrorClass.DEPENDENCY_NOT_FOUND,
        # --- product-wide codes no DNAT page lists [SE]: a call may still answer them ---
        "SmartAccessGatewayOffline": ErrorClass.CONFLICT,  # 500 the device is offline
        "SmartAccessGatewayNotOnline": ErrorClass.CONFLICT,  # 403 the device is not online
        "ResourceConfiguring": ErrorClass.TRANSIENT,  # 400 "being configured, try again later"
        "ResourceInOperating": ErrorClass.TRANSIENT,  # 400 "being used, please try later"
        "ConfigSynchronizing": ErrorClass.TRANSIENT,  # 400 "being synchronized, try again later"
        "ConfigUnsynchronized": ErrorClass.CONFLICT,  # 400 needs a configuration sync
        "SAG.InstanceNoFound": ErrorClass.DEPENDENCY_NOT_FOUND,  # 400 SAG unknown
        "FeatureNotSupportForActiveSmartAG": ErrorClass.CONFLICT,  # 403 HA pair
        "FeatureNotSupportForStandBySmartAG": ErrorClass.CONFLICT,  # 403 HA pair
    }
)

#: the four codes of DescribeDnatEntries [S2], which every SAG DNAT call lists
_SAG_FOUR = ("Forbidden", "MissingParameter", "InvalidParameter", "InternalError")

#: SAG's calls, each with its own reference table on top of the POP gateway's.
SAG_CALL_ERRORS: Mapping[str, Mapping[str, ErrorClass]] = per_call_errors(
    SAG_ERRORS,
    {
        "DescribeDnatEntries": _SAG_FOUR,
        "AddDnatEntry": (
            *_SAG_FOUR,
            "InvalidRegionID",
            "MissingParam",
            "IllegalParam",
            "DuplicatedDnatEntry",
            "SmartAccessGatewayNotActivated",
            "SmartAccessGatewayInArrears",
            "FeatureNotSupport",
            "InvalidId.SMARTAG",
        ),
        "DeleteDnatEntry": (*_SAG_FOUR, "InstanceNotExit"),
    },
)
