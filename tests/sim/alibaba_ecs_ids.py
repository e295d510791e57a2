"""The default inventory's ECS ids (examples/sim-inventory.yaml documents what each models).

Shared by the ECS conformance tests (test_alibaba_ecs.py) and the official
SDK's run against the simulator (test_alibaba_ecs_sdk.py).
"""

from __future__ import annotations

REGION = "cn-hangzhou"
SGP = "ap-southeast-1"  # no SourceDestCheck, queue depth, connection tracking, EnhancedNetwork
VPC = "vpc-bp1opxu1zkhn00gzv26cc"
VSW_H = "vsw-bp1s5fnvk4gn2tws03624"
WEB = "i-bp1a3x8mkl5qhc9y2run"  # Running, g7
BATCH = "i-bp1b7n2wvq4rte6y1stp"  # Stopped, g7, 20 of 20 queues used
RDMA = "i-bp1c5k9rdma3hp7x2erd"  # Stopped, g8ae (2 ERIs, 8 pairs per ERI, 12 in total)
LEGACY_INSTANCE = "i-bp1d2f6old7g6m3x9leg"  # Stopped, g6

DEMO = "eni-bp14f7k2m9xq3w8y5avl"  # Available, sg-web
SPARE = "eni-bp19c2e4g6i8k0m2o4free"  # Available
WEB_PRIMARY = "eni-bp1a3x8mkl5qhc9yprim"
WEB_DATA = "eni-bp16d3h8j2k5n7q9rweb"  # InUse on WEB, queue 4, sg-web + sg-db
TRUNK = "eni-bp1t7r9u1n3k5t7r9unk"  # InUse on WEB, one member
BATCH_PRIMARY = "eni-bp1b7n2wvq4rte6yprim"
BATCH_DATA = "eni-bp17s2t4v6x8z0b2batc"  # queue unset (8)
BATCH_STORAGE = "eni-bp18u3w5y7a9c1e3batd"  # queue 4, Rx/Tx 1024
HP1 = "eni-bp1h1p3r5d7m9a1hpra"  # HighPerformance, 8 pairs
HP2 = "eni-bp1h2p4r6d8m0a2hprb"  # HighPerformance, 4 pairs
RDMA_STD = "eni-bp1s3t5d7r9d1s3tdrc"  # Standard on RDMA
LEGACY = "eni-bp1l4g6c8y0l2g4c6lgy"  # on the g6
STARTING = "eni-bp1s5t7a9r1t3i5n7stg"  # on a Starting instance
ATTACHING = "eni-bp1a7t9t1a3c5h7i9atc"
IPV6 = "eni-bp1i6p8v0s2i4x6v8ip6"
SRIOV = "eni-bp1v2f4s6r8i0o2v4sri"  # SR-IOV on, 4 VFs, 16 queues
MANAGED_ENI = "eni-bp1m9s1v3c5m7g9d1svc"
SGP_ENI = "eni-t4n8c0e2g4i6k8m0sgpe"

SG_WEB = "sg-bp1fg655nh68xyz9i4nc"
SG_DB = "sg-bp1dbq7m3k9x2w5v8t1a"
SG_OPS = "sg-bp1ops4n6r8t0v2x4z6b"
SG_MON = "sg-bp1mon5p7r9t1v3x5z7c"
SG_FULL = "sg-bp1ful6q8s0u2w4y6a8d"
SG_ENT = "sg-bp1ent7r9t1v3x5z7b9e"
SG_ENT_FULL = "sg-bp1enf8s0u2w4y6a8c0f"
SG_ACK = "sg-bp1ack9t1v3x5z7b9d1g"
SG_OTHER_VPC = "sg-bp1oth0u2w4y6a8c0e2h"
SG_CLASSIC = "sg-bp1cls1v3x5z7b9d1f3i"
SG_SGP = "sg-t4n2w4y6a8c0e2g4i6kj"

HANGZHOU_ENIS = 17  # the ENIs in REGION
