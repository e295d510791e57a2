"""The reconcile core: framework-free, provider-agnostic, and the owner of the guarantees.

It never imports kopf (an import-linter contract checks it): every entry
point returns an :mod:`~cloudnet.core.outcome` value and the handlers
translate it for kopf in one place. Providers implement the small protocol
in :mod:`~cloudnet.core.provider` and declare their capabilities there.
"""
