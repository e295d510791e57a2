"""The cloud simulator (``cloudnet sim``): the clouds' real wire protocols on one port.

No cloud account is reachable from development machines, so tests, the demo
and the operator's integration suite talk to this simulator instead. It
verifies signatures and tokens, enforces the API references' rules and error
codes, models asynchronous states, quotas and throttling, and injects faults
on demand. The official SDKs,
pointed at it, work unchanged.

Modules: ``inventory`` (the world as pydantic models of the YAML), ``state``
(store + persistence), ``core`` (what every API family shares),
``huawei_apigw`` (Huawei API Gateway auth and errors), ``huawei_nat``
(Huawei NAT v2 DNAT rules), ``alibaba_rpc`` (Alibaba RPC dispatch, v1 and
ACS3 signatures, errors, throttling), ``alibaba_ens`` (ENS forward entries),
``alibaba_sag`` (Smart Access Gateway DNAT entries),
``alibaba_ecs`` (ECS elastic network interfaces),
``faults``, ``admin`` (``/_sim/``), ``server`` (the ASGI app and ``serve``).
"""

from cloudnet.sim.server import create_app, serve

__all__ = ["create_app", "serve"]
