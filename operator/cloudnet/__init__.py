"""cloudnet-operator: cloud DNAT rules and network-interface settings as Kubernetes resources.

The package is layered, imports pointing one way only:
``handlers`` > ``reconcile`` > ``providers`` > ``clouds``; ``api`` (the pydantic
models) is imported by all of them and imports none. ``sim`` is the bundled
cloud simulator and ``kube`` the test Kubernetes API; neither is imported by
the operator itself.
"""

__version__ = "0.1.0"
