"""The Alibaba STS family's world: only its settings.

The keys STS issues and the OIDC roles it assumes are credentials of the POP
gateway (``credentials.alibaba``), which every Alibaba product checks, so
they live in the gateway's section rather than in one of STS's own.
"""

from __future__ import annotations

from pydantic import Field

from cloudnet.sim.core import Strict


class StsSettings(Strict):
    #: shortest DurationSeconds STS grants (the real STS: 900); tests lower it to see a refresh
    alibaba_sts_min_duration: int = Field(default=900, ge=1)
