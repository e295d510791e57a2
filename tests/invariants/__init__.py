"""The invariant suite: a model-based test of the reconcile core (issue 10)."""
