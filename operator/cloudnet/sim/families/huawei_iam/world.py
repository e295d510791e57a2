"""The Huawei IAM family's world: only its settings.

The tokens and temporary AK/SKs it issues are credentials of the Huawei API
gateway (``credentials.huawei``), which every Huawei family checks, so they
live in the gateway's section rather than in one of IAM's own.
"""

from __future__ import annotations

from pydantic import Field

from cloudnet.sim.core import Strict


class IamSettings(Strict):
    #: lifetime of a Huawei IAM token from POST /v3/auth/tokens (the real IAM: 24 hours)
    huawei_token_lifetime: float = Field(default=86400.0, gt=0)
    #: shortest duration_seconds of a Huawei temporary AK/SK (the real IAM: 900)
    huawei_security_token_min_duration: int = Field(default=900, ge=1)
