"""Admission control: each write checked against its CRD before it is stored.

The engine (schemas, CEL rules, the API server's wording) is
``cloudnet_devkit.kubeapi.admission``; this is where the API calls it: on
which writes, with which old object, and what happens when the engine's
libraries are missing (one warning, then every object admitted unchecked, so
the demo still runs without the development extras).
"""

from __future__ import annotations

import logging

import attrs
import kmock

from cloudnet_devkit.kubeapi import admission as validation
from cloudnet_devkit.kubeapi.discovery import Discovery
from cloudnet_devkit.kubeapi.wire import Obj, StatusError, Target

logger = logging.getLogger(__name__)


@attrs.define(kw_only=True)
class AdmissionControl(Discovery):
    """Refuses what a cluster's admission refuses; ``admission=False`` turns it off."""

    admission: bool = True
    _validators: dict[tuple[str, str, str], validation.Validator | None] = attrs.field(
        factory=dict, init=False
    )
    _admission_unavailable: str | None = attrs.field(default=None, init=False)

    def _admit(self, target: Target, info: kmock.ResourceInfo, new: Obj, old: Obj | None) -> None:
        """What a cluster refuses is refused here too, so kubectl and the operator meet it.

        Custom resources against their CRD; CRDs whose rules or patterns do not compile.
        """
        if not self.admission:
            return
        if target.key == ("apiextensions.k8s.io", "customresourcedefinitions"):
            self._admit_crd(new)
            return
        if target.key not in self._crds:
            return
        validator = self._validator(target)
        if validator is None:
            return
        if target.subresource == "status" and old is not None:
            errors = validator.validate_status(new, old)
        else:
            errors = validator.validate(new, old)
        if errors:
            self._refuse(target.group, self._kind(target, info), new, errors)

    def _admit_crd(self, crd: Obj) -> None:
        try:
            errors = validation.crd_errors(crd)
        except validation.Unavailable as exc:
            self._admission_off(exc)
            return
        if errors:
            self._refuse("apiextensions.k8s.io", "CustomResourceDefinition", crd, errors)

    @staticmethod
    def _refuse(group: str, kind: str, obj: Obj, errors: list[validation.FieldError]) -> None:
        name = str(obj.get("metadata", {}).get("name", ""))
        status = validation.invalid_status(group, kind, name, errors)
        raise StatusError(422, "Invalid", status["message"], status["details"])

    def _validator(self, target: Target) -> validation.Validator | None:
        """The requested version's compiled schema.

        Built on the version's first write, not on the CRD's apply: a version nobody
        writes costs nothing.
        """
        key = (target.group, target.plural, target.version)
        if key in self._validators:
            return self._validators[key]
        schema = validation.version_schema(self._crds[target.key], target.version)
        validator: validation.Validator | None = None
        if schema is not None:
            try:
                validator = validation.Validator(schema)
            except validation.Unavailable as exc:
                self._admission_off(exc)  # and remembered: a failed import is slow to repeat
        self._validators[key] = validator
        return validator

    def _admission_off(self, exc: validation.Unavailable) -> None:
        if self._admission_unavailable is None:
            self._admission_unavailable = str(exc)
            logger.warning("the test Kubernetes API admits custom resources unchecked: %s", exc)

    def _unregister_crd(self, group: str, plural: str) -> None:
        for key in [k for k in self._validators if k[:2] == (group, plural)]:
            del self._validators[key]
        super()._unregister_crd(group, plural)
