"""Admission of custom resources as kube-apiserver does it: the CRD's schema, then its CEL rules.

One engine serves the test Kubernetes API, which runs it on every create,
update and patch of a custom resource (dry runs included), and the offline
admission tests (``admit``). With one implementation, an object the offline
tests call admitted is one the demo's API admits, and a refusal reads the same
in both.

It follows apiextensions-apiserver 1.32, the version the test API reports:

- The openAPIV3Schema is checked with jsonschema (Draft 7, after translating
  the OpenAPI 3.0 spellings: boolean exclusiveMaximum and exclusiveMinimum,
  nullable). Only the formats the API server checks are checked; it strips the
  others from the schema.
- Errors are worded as the API server words them: the field path, then the
  body, such as ``Invalid value: 70000: spec.x in body should be less than or
  equal to 65535``, ``Unsupported value: "X": supported values: "A", "B"``,
  ``Required value`` or ``Too long: may not be longer than 11``. Each is a
  ``FieldError`` whose ``reason`` is the StatusCause reason.
- The CEL rules run unless a schema error is of a blocking kind (type, format,
  required, enum, maxLength, maxItems, maxProperties); then the API server's
  "some validation rules were not checked" error is added instead. A failed
  rule is ``Invalid value: "<schema type>": <message>`` at the rule's node
  (and its fieldPath). Transition rules (those naming oldSelf) run only on
  update, and only where the node existed before.
- Ratcheting, on by default since 1.30: on update, an error at a node that is
  unchanged from the old object is dropped, unless it comes from a rule that
  uses oldSelf.
- The status subresource: status is checked against the status schema, with
  errors under ``status.`` but named relative to it inside the message, as the
  API server does; then the CEL rules of the whole object run with the old one.
- Lists of type set or map refuse duplicates (``Duplicate value``).

Approximated: objects and lists are shown as JSON where Go prints its own
syntax; for anyOf, the errors of the branch whose type matches the value are
reported (the API server picks the branch that passed most checks); CEL is
cel-python with Kubernetes' ``split`` added, so rules using other Kubernetes
CEL libraries (quantity, url, ip, the list and string extensions) fail as
evaluation errors, syntax cel-python does not parse (optional fields) refuses
the CRD, and the messages of evaluation errors are cel-python's; there is no
cost budget and no type checking of rules at CRD creation; a rule uses oldSelf
if it names it; schema patterns and ``matches`` use Python's regular
expressions, not RE2 (a CRD's patterns must compile in RE2 to be admitted); list
items are never matched with the old list's items, which a real server does
for lists of type map and set (their rules see no oldSelf, their errors do not
ratchet); ``Too long`` reads ``may not be longer than N``, as apimachinery
long wrote it (newer releases may word it otherwise).
Not done: pruning of unknown fields (they are stored, where the API server
drops them or, with kubectl's strict field validation, refuses them),
defaulting, metadata and embedded-resource validation.

jsonschema, cel-python and google-re2 are development extras, absent from the
runtime image: they are imported only when a validator is first built, and
``Unavailable`` names the one that is missing.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jsonschema

Obj = dict[str, Any]

#: No old value: a create, or a node that did not exist before.
MISSING: Any = object()
#: A FieldError whose body carries no value (Go's field.OmitValueType).
OMIT: Any = object()

#: The reasons (StatusCause.reason, field.ErrorType) whose bodies this module writes.
INVALID = "FieldValueInvalid"
TYPE_INVALID = "FieldValueTypeInvalid"
REQUIRED = "FieldValueRequired"
NOT_SUPPORTED = "FieldValueNotSupported"
TOO_LONG = "FieldValueTooLong"
TOO_MANY = "FieldValueTooMany"
DUPLICATE = "FieldValueDuplicate"
FORBIDDEN = "FieldValueForbidden"

_TITLES = {
    INVALID: "Invalid value",
    TYPE_INVALID: "Invalid value",
    REQUIRED: "Required value",
    NOT_SUPPORTED: "Unsupported value",
    TOO_LONG: "Too long",
    TOO_MANY: "Too many",
    DUPLICATE: "Duplicate value",
    FORBIDDEN: "Forbidden",
}
#: Bodies that never show the value, whatever it is.
_VALUELESS = frozenset({REQUIRED, FORBIDDEN, TOO_LONG})
#: Schema errors after which the API server does not run the CEL rules.
_BLOCKING = frozenset({NOT_SUPPORTED, REQUIRED, TOO_LONG, TOO_MANY, TYPE_INVALID})
_NOT_CHECKED = (
    "some validation rules were not checked because the object was invalid; "
    "correct the existing errors to complete validation"
)
#: The formats kube-openapi's registry checks (apiextensions strips the others).
_K8S_FORMATS = (
    "bsonobjectid",
    "uri",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "cidr",
    "mac",
    "uuid",
    "uuid3",
    "uuid4",
    "uuid5",
    "isbn",
    "isbn10",
    "isbn13",
    "creditcard",
    "ssn",
    "hexcolor",
    "rgbcolor",
    "byte",
    "password",
    "date",
    "duration",
    "datetime",
)

_DEV_EXTRAS = "install the development extras: pip install 'cloudnet-operator[dev]'"


class Unavailable(RuntimeError):
    """A library the engine needs is not installed (the runtime image has none of them)."""


def _require(module: str) -> Any:
    try:
        return __import__(module)
    except ImportError as exc:
        raise Unavailable(
            f"admission needs the Python module {module!r}, which is not installed; {_DEV_EXTRAS}"
        ) from exc


# ---------------------------------------------------------------------- errors


def _go_value(value: Any) -> str:
    """A value as Go's ``%v``/``%q`` print it in a field error body (JSON for the rest)."""
    if value is None:
        return '"null"'  # Go replaces a nil value by the string "null", then quotes it
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _go_number(value: float | int) -> str:
    """A bound or a number as Go's ``%v`` prints a float64: 65535, 1.5, 1e+21."""
    if isinstance(value, int):
        return str(value)
    if math.isfinite(value) and value == int(value) and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


@dataclass(frozen=True)
class FieldError:
    """One field error, as apimachinery's ``field.Error``: reason, path, value, detail."""

    reason: str
    field: str
    value: Any = OMIT
    detail: str = ""

    def body(self) -> str:
        """The StatusCause message (``ErrorBody``): the error without its field path."""
        title = _TITLES.get(self.reason, self.reason)
        if self.reason in _VALUELESS or self.value is OMIT:
            text = title
        else:
            text = f"{title}: {_go_value(self.value)}"
        return f"{text}: {self.detail}" if self.detail else text

    def __str__(self) -> str:
        return f"{self.field}: {self.body()}"

    def cause(self) -> Obj:
        return {"reason": self.reason, "message": self.body(), "field": self.field}


def invalid_status(group: str, kind: str, name: str, errors: Sequence[FieldError]) -> Obj:
    """The ``v1/Status`` of a 422 Invalid refusal, as apierrors.NewInvalid writes it."""
    qualified = f"{kind}.{group}" if group else kind
    if len(errors) == 1:
        aggregate = str(errors[0])
    else:
        aggregate = "[" + ", ".join(str(e) for e in errors) + "]"
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": f"{qualified} {json.dumps(name)} is invalid: {aggregate}",
        "reason": "Invalid",
        "details": {
            "name": name,
            "group": group,
            "kind": kind,
            "causes": [e.cause() for e in errors],
        },
        "code": 422,
    }


# ---------------------------------------------------------------------- paths

Path = tuple[str | int, ...]


def _path(parts: Sequence[str | int], prefix: str = "") -> str:
    """A field path as kube-openapi names it: ``spec.items[0].name``, map keys after dots.

    (A real server's CEL errors put map keys in brackets; these keep the dots.)
    """
    out = prefix
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out = f"{out}.{part}" if out else part
    return out


def _at(obj: Any, parts: Sequence[str | int]) -> Any:
    """The node at ``parts``, through object keys only: list items never correlate."""
    node = obj
    for part in parts:
        if isinstance(part, int) or not isinstance(node, dict) or part not in node:
            return MISSING
        node = node[part]
    return node


def _unchanged(new: Any, old: Any, parts: Sequence[str | int]) -> bool:
    """Ratcheting: the deepest node of ``parts`` that correlates is the same as before."""
    if old is MISSING:
        return False
    depth = 0
    for part in parts:
        if isinstance(part, int):
            break
        depth += 1
    correlated = list(parts[:depth])
    before = _at(old, correlated)
    return before is not MISSING and before == _at(new, correlated)


# ---------------------------------------------------------------------- schema


def _to_draft7(schema: Any) -> Any:
    """The OpenAPI 3.0 spellings a CRD may use, in the Draft 7 form jsonschema reads."""
    if isinstance(schema, list):
        return [_to_draft7(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _to_draft7(v) for k, v in schema.items()}
    for bound, limit in (("exclusiveMaximum", "maximum"), ("exclusiveMinimum", "minimum")):
        flag = out.get(bound)
        if isinstance(flag, bool):
            del out[bound]
            if flag and limit in out:
                out[bound] = out.pop(limit)
    if out.pop("nullable", False) is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _type_matches(schema: Mapping[str, Any], value: Any) -> bool:
    wanted = schema.get("type")
    if wanted is None:
        return True
    wanted = [wanted] if isinstance(wanted, str) else list(wanted)
    actual = _json_type(value)
    return actual in wanted or (actual == "integer" and "number" in wanted)


def _schema_errors(
    error: jsonschema.ValidationError, prefix: str, seen: set[tuple[Path, int]]
) -> Iterator[FieldError]:
    """One jsonschema error as kube-openapi reports it and apiextensions turns it into."""
    parts = tuple(error.absolute_path)
    name = _path(parts)  # the path inside the message is relative to the schema's root
    where = _path(parts, prefix) or "<nil>"
    keyword = error.validator
    bound = error.validator_value
    value = error.instance
    if keyword == "required":
        # jsonschema yields one error per missing property: report them all, once.
        if (parts, id(error.schema)) in seen or not isinstance(value, dict):
            return
        seen.add((parts, id(error.schema)))
        for prop in bound:
            if prop not in value:
                yield FieldError(REQUIRED, _path((*parts, prop), prefix))
    elif keyword == "enum":
        allowed = [v if isinstance(v, str) else json.dumps(v) for v in bound]
        detail = "supported values: " + ", ".join(
            json.dumps(v, ensure_ascii=False) for v in allowed
        )
        yield FieldError(NOT_SUPPORTED, where, value, detail)
    elif keyword == "maxLength":
        yield FieldError(TOO_LONG, where, value, f"may not be longer than {bound}")
    elif keyword == "minLength":
        yield FieldError(
            INVALID, where, value, f"{name} in body should be at least {bound} chars long"
        )
    elif keyword == "pattern":
        yield FieldError(INVALID, where, value, f"{name} in body should match '{bound}'")
    elif keyword in ("maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum"):
        relation = {
            "maximum": "less than or equal to",
            "exclusiveMaximum": "less than",
            "minimum": "greater than or equal to",
            "exclusiveMinimum": "greater than",
        }[keyword]
        yield FieldError(
            INVALID, where, value, f"{name} in body should be {relation} {_go_number(bound)}"
        )
    elif keyword == "multipleOf":
        yield FieldError(
            INVALID, where, value, f"{name} in body should be a multiple of {_go_number(bound)}"
        )
    elif keyword in ("maxItems", "maxProperties"):
        yield FieldError(TOO_MANY, where, len(value), f"must have at most {bound} items")
    elif keyword == "minItems":
        yield FieldError(
            INVALID, where, len(value), f"{name} in body should have at least {bound} items"
        )
    elif keyword == "minProperties":
        yield FieldError(
            INVALID, where, bound, f"{name} in body should have at least {bound} properties"
        )
    elif keyword == "uniqueItems":
        yield FieldError(INVALID, where, "", f"{name} in body shouldn't contain duplicates")
    elif keyword == "type":
        wanted = bound if isinstance(bound, str) else ",".join(t for t in bound if t != "null")
        actual = _json_type(value)
        detail = f"{name} in body must be of type {wanted}: {json.dumps(actual)}"
        yield FieldError(TYPE_INVALID, where, actual, detail)
    elif keyword == "format":
        detail = f"{name} in body must be of type {bound}: {_go_value(value)}"
        yield FieldError(TYPE_INVALID, where, value, detail)
    elif keyword in ("anyOf", "oneOf"):
        how = (
            "at least one schema (anyOf)"
            if keyword == "anyOf"
            else "one and only one schema (oneOf)"
        )
        yield FieldError(INVALID, where, "", f"{json.dumps(name)} must validate {how}")
        branches = list(bound)
        best = next((i for i, b in enumerate(branches) if _type_matches(b, value)), 0)
        for sub in error.context or ():
            if sub.relative_schema_path and sub.relative_schema_path[0] == best:
                yield from _schema_errors(sub, prefix, seen)
    elif keyword == "not":
        yield FieldError(
            INVALID, where, "", f"{json.dumps(name)} must not validate the schema (not)"
        )
    else:
        yield FieldError(INVALID, where, value, error.message)


def _duplicates(
    schema: Any, obj: Any, parts: Path, prefix: str, skip: Callable[[Path], bool]
) -> Iterator[FieldError]:
    """Items that repeat in lists of type set, or repeat their keys in lists of type map."""
    if not isinstance(schema, dict) or skip(parts):
        return
    if isinstance(obj, list):
        kind = schema.get("x-kubernetes-list-type")
        keys = schema.get("x-kubernetes-list-map-keys") or []
        seen: list[Any] = []
        for i, item in enumerate(obj):
            if kind == "set":
                key: Any = item
            elif kind == "map" and isinstance(item, dict):
                key = {k: item.get(k) for k in keys}
            else:
                continue
            if key in seen:
                yield FieldError(DUPLICATE, _path((*parts, i), prefix), key)
            else:
                seen.append(key)
        for i, item in enumerate(obj):
            yield from _duplicates(schema.get("items"), item, (*parts, i), prefix, skip)
    elif isinstance(obj, dict):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key, value in obj.items():
            sub = props.get(key, extra if isinstance(extra, dict) else None)
            yield from _duplicates(sub, value, (*parts, key), prefix, skip)


# ---------------------------------------------------------------------- CEL


def _split(value: Any, sep: Any) -> Any:
    # Kubernetes' strings library: '<string>.split(<string>) -> <list<string>>'.
    from celpy import celtypes

    return celtypes.ListType([celtypes.StringType(p) for p in str(value).split(str(sep))])


K8S_FUNCTIONS = {"split": _split}


@cache
def _program(rule: str) -> Any:
    celpy = _require("celpy")
    env = celpy.Environment()
    return env.program(env.compile(rule), functions=K8S_FUNCTIONS)


def _cel_value(value: Any) -> Any:
    from celpy.adapter import json_to_cel

    return json_to_cel(value)


def _rule_path(parts: Path, field_path: str | None) -> Path:
    """The rule's node, plus its fieldPath (``.a.b`` or ``.a['b']``) when it has one."""
    if not field_path:
        return parts
    extra: list[str | int] = []
    for dotted, bracketed in re.findall(r"\.([^.\[]+)|\['([^']*)'\]", field_path):
        extra.append(dotted or bracketed)
    return (*parts, *extra)


def _rule_error(
    parts: Path, prefix: str, schema: Mapping[str, Any], entry: Mapping[str, Any], detail: str
) -> FieldError:
    where = _path(_rule_path(parts, entry.get("fieldPath")), prefix) or "<nil>"
    reason = entry.get("reason") or INVALID
    if reason in (FORBIDDEN, REQUIRED):
        return FieldError(reason, where, OMIT, detail)
    value = schema.get("type") or ""
    if reason == DUPLICATE:
        return FieldError(DUPLICATE, where, value)
    return FieldError(INVALID, where, value, detail)


def _evaluate(
    schema: Mapping[str, Any],
    entry: Mapping[str, Any],
    obj: Any,
    old: Any,
    parts: Path,
    prefix: str,
) -> FieldError | None:
    from celpy.evaluation import CELEvalError

    rule = str(entry["rule"])
    message = str(entry.get("message") or "").strip()
    activation = {"self": _cel_value(obj)}
    if old is not MISSING:
        activation["oldSelf"] = _cel_value(old)
    try:
        result = _program(rule).evaluate(activation)
        if isinstance(result, CELEvalError):
            raise result
    except Exception as exc:  # a rule that cannot be evaluated rejects the object
        # celpy's CELEvalError carries (message, exception class, exception args).
        args: tuple[Any, ...] = tuple(exc.args)
        reason = str(args[0]) if args else str(exc)
        cause = args[2] if len(args) >= 3 else None
        if isinstance(cause, tuple) and cause:
            reason = f"{reason}: {cause[0]}"
        if reason.startswith("no such overload"):
            detail = (
                f"'{reason}': call arguments did not match a supported operator, function or "
                f"macro signature for rule: {message or rule}"
            )
        else:
            detail = f"{reason} evaluating rule: {message or rule}"
        where = _path(parts, prefix) or "<nil>"
        return FieldError(INVALID, where, schema.get("type") or "", detail)
    if bool(result):
        return None
    detail = message or f"failed rule: {rule.strip()}"
    expression = entry.get("messageExpression")
    if expression:
        try:
            rendered = _program(str(expression)).evaluate(activation)
            if not isinstance(rendered, CELEvalError) and str(rendered).strip():
                detail = str(rendered).strip()
        except Exception:  # the API server falls back to the static message too
            pass
    return _rule_error(parts, prefix, schema, entry, detail)


def _cel_errors(
    schema: Any, obj: Any, old: Any, parts: Path, prefix: str, ratchet: bool
) -> Iterator[FieldError]:
    """The rules top-down: a node's own rules, then its properties, map values and items."""
    if not isinstance(schema, dict) or obj is None:
        return
    unchanged = ratchet and old is not MISSING and obj == old
    for entry in schema.get("x-kubernetes-validations") or ():
        uses_old = "oldSelf" in str(entry.get("rule", ""))
        if uses_old and old is MISSING:
            continue
        if unchanged and not uses_old:
            continue  # ratcheting: an unchanged node keeps what it had
        error = _evaluate(schema, entry, obj, old, parts, prefix)
        if error is not None:
            yield error
    if isinstance(obj, dict):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key, value in obj.items():
            sub = props.get(key, extra if isinstance(extra, dict) else None)
            if sub is None:
                continue
            sub_old = old.get(key, MISSING) if isinstance(old, dict) else MISSING
            yield from _cel_errors(sub, value, sub_old, (*parts, key), prefix, ratchet)
    elif isinstance(obj, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(obj):
            yield from _cel_errors(schema["items"], item, MISSING, (*parts, i), prefix, ratchet)


# ---------------------------------------------------------------------- validator


class Validator:
    """One CRD version's schema, compiled once, checking objects as the API server does."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        jsonschema = _require("jsonschema")
        _require("celpy")
        self.schema: Obj = copy.deepcopy(dict(schema))
        checker = jsonschema.FormatChecker(
            formats=[f for f in _K8S_FORMATS if f in jsonschema.FormatChecker.checkers]
        )
        self._whole = jsonschema.Draft7Validator(_to_draft7(self.schema), format_checker=checker)
        status = (self.schema.get("properties") or {}).get("status")
        self._status = (
            jsonschema.Draft7Validator(_to_draft7(status), format_checker=checker)
            if isinstance(status, dict)
            else None
        )
        for rule in _rules(self.schema):
            _program(rule)  # a rule that does not compile fails here, not on a write

    def validate(self, obj: Obj, old: Obj | None = None) -> list[FieldError]:
        """A create (``old`` None) or an update of the whole object (not its status)."""
        errors = self._schema(self._whole, self.schema, obj, old, "")
        return self._with_rules(errors, obj, old)

    def validate_status(self, obj: Obj, old: Obj) -> list[FieldError]:
        """A write to the status subresource: the status schema, then every rule."""
        errors: list[FieldError] = []
        status_schema = (self.schema.get("properties") or {}).get("status")
        if self._status is not None and "status" in obj:
            old_status = old.get("status", MISSING)
            errors = self._schema(self._status, status_schema, obj["status"], old_status, "status")
        return self._with_rules(errors, obj, old)

    def _schema(
        self, validator: Any, schema: Any, obj: Any, old: Any, prefix: str
    ) -> list[FieldError]:
        seen: set[tuple[Path, int]] = set()
        old = MISSING if old is None else old

        def unchanged(parts: Path) -> bool:
            # Ratcheting. A required error's path is the object that lacks the
            # property, which is the node that must be unchanged.
            return _unchanged(obj, old, parts)

        errors: list[FieldError] = []
        for error in validator.iter_errors(obj):
            if not unchanged(tuple(error.absolute_path)):
                errors += _schema_errors(error, prefix, seen)
        return errors + list(_duplicates(schema, obj, (), prefix, unchanged))

    def _with_rules(self, errors: list[FieldError], obj: Obj, old: Obj | None) -> list[FieldError]:
        if any(e.reason in _BLOCKING for e in errors):
            return [*errors, FieldError(INVALID, "<nil>", None, _NOT_CHECKED)]
        old_value = MISSING if old is None else old
        rules = _cel_errors(self.schema, obj, old_value, (), "", ratchet=old is not None)
        return [*errors, *rules]


def _rules(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        for entry in schema.get("x-kubernetes-validations") or ():
            yield str(entry["rule"])
            if entry.get("messageExpression"):
                yield str(entry["messageExpression"])
        for value in schema.values():
            if isinstance(value, (dict, list)):
                yield from _rules(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _rules(value)


def crd_errors(crd: Mapping[str, Any]) -> list[FieldError]:
    """What the API server refuses a CRD for here: a rule that does not compile, a bad pattern.

    Paths are the API server's (``spec.versions[0].schema.openAPIV3Schema.properties[spec]...``).
    """
    _require("celpy")
    re2 = _require("re2")
    from celpy.celparser import CELParseError

    errors: list[FieldError] = []

    def walk(schema: Any, where: str) -> None:
        if not isinstance(schema, dict):
            return
        for i, entry in enumerate(schema.get("x-kubernetes-validations") or ()):
            for key in ("rule", "messageExpression"):
                text = entry.get(key) if isinstance(entry, dict) else None
                if not text:
                    continue
                try:
                    _program(str(text))
                except CELParseError as exc:
                    detail = f"compilation failed: {str(exc).strip()}"
                    errors.append(
                        FieldError(
                            INVALID,
                            f"{where}.x-kubernetes-validations[{i}].{key}",
                            str(text),
                            detail,
                        )
                    )
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            try:
                re2.compile(pattern)
            except re2.error as exc:
                detail = f"must be a valid regular expression, but isn't: {exc}"
                errors.append(FieldError(INVALID, f"{where}.pattern", pattern, detail))
        for name, sub in (schema.get("properties") or {}).items():
            walk(sub, f"{where}.properties[{name}]")
        for key in ("items", "additionalProperties"):
            walk(schema.get(key), f"{where}.{key}")
        for key in ("allOf", "anyOf", "oneOf"):
            for i, sub in enumerate(schema.get(key) or ()):
                walk(sub, f"{where}.{key}[{i}]")

    for i, version in enumerate(crd.get("spec", {}).get("versions") or ()):
        schema = (version.get("schema") or {}).get("openAPIV3Schema")
        walk(schema, f"spec.versions[{i}].schema.openAPIV3Schema")
    return errors


def version_schema(crd: Mapping[str, Any], version: str | None = None) -> Obj | None:
    """The openAPIV3Schema of ``version`` (the first version when None); None when it has none."""
    for entry in crd.get("spec", {}).get("versions", []):
        if version is None or entry.get("name") == version:
            schema = (entry.get("schema") or {}).get("openAPIV3Schema")
            return dict(schema) if isinstance(schema, dict) else None
    return None


@cache
def _validator_for(text: str) -> Validator:
    return Validator(json.loads(text))


def admit(crd: Mapping[str, Any], obj: Obj, old: Obj | None = None) -> list[str]:
    """Every reason the API server would refuse ``obj`` (an update of ``old`` when given).

    Each reason is a field error as kubectl prints it (``spec.x: Invalid value: ...``).
    """
    schema = version_schema(crd)
    if schema is None:
        return []
    validator = _validator_for(json.dumps(schema, sort_keys=True))
    return [str(e) for e in validator.validate(obj, old)]


# ---------------------------------------------------------------------- RE2


def walk_patterns(schema: Any) -> list[str]:
    """Every ``pattern`` in a schema: the API server compiles them with RE2."""
    found: list[str] = []
    if isinstance(schema, dict):
        if isinstance(schema.get("pattern"), str):
            found.append(schema["pattern"])
        for value in schema.values():
            found += walk_patterns(value)
    elif isinstance(schema, list):
        for value in schema:
            found += walk_patterns(value)
    return found


def re2_compiles(pattern: str) -> bool:
    """Whether RE2 (what the API server matches patterns with) accepts ``pattern``."""
    re2 = _require("re2")
    try:
        re2.compile(pattern)
    except re2.error:
        return False
    return True
