"""Providers: one module per cloud API, each implementing :class:`base.Provider`.

A provider turns a spec block into cloud calls and a cloud object into an
:class:`base.Observation`. It knows nothing of Kubernetes; the reconcile core
above decides when to call which method.
"""
