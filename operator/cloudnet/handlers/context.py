"""What the handlers share: the Kubernetes adapter and the provider registry.

Built once at start-up and passed to the handler modules explicitly, not
kept in module globals (the mistake shared/STYLE.md warns about).
"""

from __future__ import annotations

from dataclasses import dataclass

from cloudnet.handlers.kube import KubeClient
from cloudnet.providers.registry import ProviderRegistry


@dataclass
class OperatorContext:
    kube: KubeClient
    providers: ProviderRegistry
