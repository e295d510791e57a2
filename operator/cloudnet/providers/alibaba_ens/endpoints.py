"""ENS has one central public endpoint (the SDK's map gives ``ens.aliyuncs.com`` for every
region it names): edge nodes are named per call, not per endpoint."""

from __future__ import annotations

#: ENS: one endpoint for every region (edge nodes are named per call, not per endpoint).
ENS_ENDPOINT = "https://ens.aliyuncs.com"
