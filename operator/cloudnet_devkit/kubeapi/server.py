"""The test Kubernetes API: kmock's emulator made faithful enough for kubectl and kopf.

No kube-apiserver can run on the development and CI machines, yet the
operator must be tested against something that behaves like one: kopf
guards finalizer edits with a JSON-patch ``test`` of
``metadata.resourceVersion``, watches only what discovery declares, writes
status through ``/status``; kubectl needs discovery, OpenAPI, Tables, typed
lists, strategic merge patches and watches by field selector.

``TestKubeAPI`` subclasses ``kmock.KubernetesEmulator`` and keeps kmock's parts
that work (request parsing, bundled discovery data, the ``resources`` array,
the DSL for user-defined reactions such as fault injection) while serving the
Kubernetes semantics itself:

- objects in dicts keyed by (group, plural) → (namespace, name), so 10,000
  objects stay fast, and a bounded request history (kmock keeps and rescans
  every request it ever served);
- a global ``resourceVersion``, ``uid``, ``generation`` (spec changes only),
  ``creationTimestamp``, deletion held by finalizers, optimistic concurrency
  (409), a failed JSON-patch ``test`` answering 422;
- the status subresource, CRDs registered in discovery when they are created,
  typed lists (a chunked one is a single snapshot), label and field
  selectors, watches with resourceVersion resumption, bookmarks and
  ``sendInitialEvents`` that lose no write made while they start, PUT,
  dry-run, server-side apply (as a merge), Tables from printer columns,
  OpenAPI stubs, Secrets' ``stringData``, namespaces with cascading deletion,
  Event names checked as the API server checks them (a DNS subdomain);
- admission of custom resources: every create, update and patch (dry runs
  too, the status subresource against the status schema) is checked against
  the CRD's openAPIV3Schema and x-kubernetes-validations, transition rules
  with the old object, and refused with the API server's 422 Invalid Status
  (``details.causes`` with each field and message), so kubectl prints what it
  prints against a cluster; a CRD whose rules do not compile is refused. The
  engine is ``cloudnet_devkit.kubeapi.admission`` (what it approximates is listed
  there). Its libraries are development extras: without them (the runtime
  image) the API logs one warning and admits every object unchecked, so the
  demo still runs. ``admission=False`` turns it off on purpose.

Not implemented: pruning of unknown fields and defaulting, garbage collection
through ownerReferences, field management.

One module per concern, each class built on the ones it needs, so a call
can only go down the chain: ``discovery`` (what is served), then
``admission_control``, ``store`` (objects and their history), ``namespaces``,
``watch``, ``routing`` (the HTTP entry), and ``TestKubeAPI`` here on top. The
one call that goes up, from a store write into the namespace lifecycle, goes
through the three hooks the store declares for it.
"""

from __future__ import annotations

import warnings

import attrs

from cloudnet_devkit.kubeapi.namespaces import DEFAULT_NAMESPACES
from cloudnet_devkit.kubeapi.routing import Routing


@attrs.define(kw_only=True)
class TestKubeAPI(Routing):
    """A Kubernetes API server in memory; see the module docstring.

    ``history_limit`` bounds the request history kept for kmock assertions;
    ``strict_namespaces`` rejects objects in namespaces that do not exist (as a
    real cluster does); ``watch_backlog`` is how many events per resource a
    watch can resume from before it gets 410 Gone; ``admission`` checks custom
    resources against their CRD's schema and rules (when its libraries are
    installed).
    """

    #: pytest collects classes named Test* from every test module that imports one
    __test__ = False

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self._builtin_payloads = len(self._payloads)
        with warnings.catch_warnings():  # kmock 0.8 uses a deprecated importlib API
            warnings.simplefilter("ignore", DeprecationWarning)
            self.resources.load_bundled()
        for name in DEFAULT_NAMESPACES:
            self._store_put(("", "namespaces"), None, name, self._new_namespace(name))
