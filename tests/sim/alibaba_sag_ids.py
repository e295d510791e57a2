"""The default inventory's SAG ids (examples/sim-inventory.yaml documents them).

Shared by the SAG conformance tests (test_alibaba_sag.py) and the official
SDK's run against the simulator (test_alibaba_sag_sdk.py).
"""

from __future__ import annotations

REGION = "cn-shanghai"
SAG = "sag-0nnvdb0r1mtjv5a7k2"  # Active, Normal, CPE
SAG_LOCKED = "sag-0nnvdb0r1mtjv8c3m9"  # business status Arrearage: changes Forbidden
SAG_APP = "sag-0nnvdb0r1mtjv2f6q4"  # a SAG app (software) instance: no DNAT
SAG_HZ = "sag-1x4nbq7t2pdkw6e0r3"  # Active CPE in cn-hangzhou
WAN1, WAN2 = "47.100.20.11", "47.100.20.12"  # SAG's public IPs
HZ_WAN = "118.31.40.51"
LAN1, LAN2 = "192.168.10.5", "192.168.20.7"  # in SAG's two LAN CIDRs
HZ_LAN = "172.16.10.5"
VIP = "10.10.1.1"  # an Intranet ExternalIp (any private address)
