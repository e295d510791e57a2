"""The offline admission tests' engine: the test Kubernetes API's own (one implementation).

There is no kube-apiserver to run the CRDs' schema and CEL rules against, so
``cloudnet_devkit.kubeapi.admission`` does what it does, for the test API and for these
tests alike; see that module for what it follows and what it approximates.
"""

from cloudnet_devkit.kubeapi.admission import (
    K8S_FUNCTIONS,
    FieldError,
    Validator,
    admit,
    re2_compiles,
    version_schema,
    walk_patterns,
)

__all__ = [
    "K8S_FUNCTIONS",
    "FieldError",
    "Validator",
    "admit",
    "re2_compiles",
    "version_schema",
    "walk_patterns",
]
