"""kopf handlers: thin, one module per kind, over the reconcile core.

Only this package imports kopf's decorators; everything below it sees
Kubernetes through :class:`cloudnet.core.resource.KubePort`.
"""
