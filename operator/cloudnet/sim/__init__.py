"""The cloud simulator (``cloudnet sim``): the clouds' real wire protocols on one port.

No cloud account is reachable from development machines, so tests, the demo
and the operator's integration suite talk to this simulator instead. It
verifies signatures and tokens, enforces the API references' rules and error
codes, models asynchronous states, quotas and throttling, and injects faults
on demand. The official SDKs,
pointed at it, work unchanged.

Layout: ``families/<family>/`` holds one API family each (its world,
routes, auth, admin edits and inventory fragment, described by its
``FAMILY``); ``gateways/`` the gateways several families of one cloud
share (its credentials, signatures, error bodies); ``registry`` installs the
families, one line each. The shared modules name no family: ``core`` (what
every API shares), ``family`` (the descriptions), ``inventory`` (the YAML's
models, composed from the families'), ``state`` (store + persistence),
``faults``, ``admin`` (``/_sim/``), ``server`` (the ASGI app and ``serve``).
See docs/simulator.md for adding a family.
"""

from cloudnet.sim.server import create_app, serve

__all__ = ["create_app", "serve"]
