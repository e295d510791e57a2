"""The admission engine's wording and order of checks, against the API server's (1.32).

The expected strings are the field errors kube-apiserver returns for the same
schema and object: ``<field>: <body>``, where the body is the StatusCause message.
"""

from __future__ import annotations

from typing import Any

import pytest

from cloudnet_devkit.kubeapi.admission import FieldError, Validator, crd_errors, invalid_status

NOT_CHECKED = (
    '<nil>: Invalid value: "null": some validation rules were not checked because the '
    "object was invalid; correct the existing errors to complete validation"
)

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["spec"],
    "properties": {
        "metadata": {"type": "object"},
        "spec": {
            "type": "object",
            "required": ["name", "port"],
            "properties": {
                "name": {"type": "string", "minLength": 2, "maxLength": 5, "pattern": "^[a-z]+$"},
                "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                "ratio": {"type": "number", "exclusiveMaximum": True, "maximum": 1.5},
                "mode": {"type": "string", "enum": ["A", "B"]},
                "ip": {"type": "string", "format": "ipv4"},
                "when": {"type": "string", "format": "date-time"},
                "note": {"type": "string", "nullable": True},
                "ids": {
                    "type": "array",
                    "maxItems": 2,
                    "items": {"type": "string"},
                    "x-kubernetes-list-type": "set",
                },
                "port2": {
                    "anyOf": [{"type": "integer"}, {"type": "string", "maxLength": 3}],
                    "x-kubernetes-int-or-string": True,
                    "x-kubernetes-validations": [
                        {"rule": "string(self) != '0'", "message": "port2 must not be 0"}
                    ],
                },
                "zone": {
                    "type": "string",
                    "x-kubernetes-validations": [
                        {"rule": "self == oldSelf", "message": "zone is immutable"}
                    ],
                },
                "labels": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "string",
                        "x-kubernetes-validations": [{"rule": "self != 'x'"}],
                    },
                },
            },
            "x-kubernetes-validations": [
                {"rule": "self.port != 22", "message": " not ssh "},
                {
                    "rule": "!has(self.mode) || self.mode != 'B' || has(self.ip)",
                    "message": "mode B needs an ip",
                    "fieldPath": ".ip",
                    "reason": "FieldValueRequired",
                },
            ],
        },
        "status": {
            "type": "object",
            "properties": {
                "phase": {"type": "string", "enum": ["Ready", "Failed"]},
                "count": {"type": "integer", "minimum": 0},
            },
        },
    },
}

VALIDATOR = Validator(SCHEMA)


def obj(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "a"}, "spec": {"name": "web", "port": 80, **spec}}


def errors(new: dict[str, Any], old: dict[str, Any] | None = None) -> list[str]:
    return [str(e) for e in VALIDATOR.validate(new, old)]


CASES = [
    (
        {"port": 70000},
        [
            "spec.port: Invalid value: 70000: spec.port in body should be less than or equal to "
            "65535"
        ],
    ),
    (
        {"port": 0},
        ["spec.port: Invalid value: 0: spec.port in body should be greater than or equal to 1"],
    ),
    (
        {"ratio": 1.5},
        ["spec.ratio: Invalid value: 1.5: spec.ratio in body should be less than 1.5"],
    ),
    (
        {"name": "a"},
        ['spec.name: Invalid value: "a": spec.name in body should be at least 2 chars long'],
    ),
    (
        {"name": "Ab"},
        ["spec.name: Invalid value: \"Ab\": spec.name in body should match '^[a-z]+$'"],
    ),
    ({"name": "abcdefg"}, ["spec.name: Too long: may not be longer than 5", NOT_CHECKED]),
    (
        {"mode": "C"},
        ['spec.mode: Unsupported value: "C": supported values: "A", "B"', NOT_CHECKED],
    ),
    (
        {"port": "80"},
        [
            'spec.port: Invalid value: "string": spec.port in body must be of type integer: '
            '"string"',
            NOT_CHECKED,
        ],
    ),
    (
        {"ip": "10.0.0"},
        [
            'spec.ip: Invalid value: "10.0.0": spec.ip in body must be of type ipv4: "10.0.0"',
            NOT_CHECKED,
        ],
    ),
    (
        {"mode": None},
        [
            'spec.mode: Invalid value: "null": spec.mode in body must be of type string: "null"',
            'spec.mode: Unsupported value: "null": supported values: "A", "B"',
            NOT_CHECKED,
        ],
    ),
    # The API server does not check formats its registry lacks (date-time is "datetime").
    ({"when": "yesterday"}, []),
    ({"note": None}, []),
    (
        {"ids": ["a", "b", "a"]},
        [
            "spec.ids: Too many: 3: must have at most 2 items",
            'spec.ids[2]: Duplicate value: "a"',
            NOT_CHECKED,
        ],
    ),
    ({"ids": ["a", "a"]}, ['spec.ids[1]: Duplicate value: "a"']),
    (
        {"port2": "1234"},
        [
            'spec.port2: Invalid value: "": "spec.port2" must validate at least one schema (anyOf)',
            "spec.port2: Too long: may not be longer than 3",
            NOT_CHECKED,
        ],
    ),
    ({"port2": 0}, ['spec.port2: Invalid value: "": port2 must not be 0']),
    ({"port": 22}, ['spec: Invalid value: "object": not ssh']),
    ({"mode": "B"}, ["spec.ip: Required value: mode B needs an ip"]),
    (
        {"labels": {"k": "x"}},
        ["spec.labels.k: Invalid value: \"string\": failed rule: self != 'x'"],
    ),
]


@pytest.mark.parametrize(("spec", "expected"), CASES, ids=[str(c[0]) for c in CASES])
def test_wording(spec: dict[str, Any], expected: list[str]) -> None:
    assert errors(obj(**spec)) == expected


def test_required_names_each_missing_field() -> None:
    assert errors({"metadata": {}}) == ["spec: Required value", NOT_CHECKED]
    assert errors({"spec": {}}) == [
        "spec.name: Required value",
        "spec.port: Required value",
        NOT_CHECKED,
    ]


def test_a_pattern_error_does_not_block_the_rules() -> None:
    assert errors(obj(name="AB", port=22)) == [
        "spec.name: Invalid value: \"AB\": spec.name in body should match '^[a-z]+$'",
        'spec: Invalid value: "object": not ssh',
    ]


def test_transition_rules_run_on_update_where_the_node_existed() -> None:
    assert errors(obj(zone="a")) == []
    assert errors(obj(zone="b"), obj(zone="a")) == [
        'spec.zone: Invalid value: "string": zone is immutable'
    ]
    assert errors(obj(zone="b"), obj()) == []  # no old value: the rule does not run


def test_ratcheting_keeps_unchanged_errors_out_of_an_update() -> None:
    stored = obj(name="AB", port=22)  # stored under an older, laxer schema
    touched = obj(name="AB", port=22)
    touched["metadata"]["labels"] = {"a": "b"}
    assert errors(touched, stored) == []
    # A changed node is checked again, and so are the rules of the objects holding it.
    changed = obj(name="CD", port=22)
    assert errors(changed, stored) == [
        "spec.name: Invalid value: \"CD\": spec.name in body should match '^[a-z]+$'",
        'spec: Invalid value: "object": not ssh',
    ]


def test_status_writes_are_checked_against_the_status_schema() -> None:
    old = obj()
    new = obj()
    new["status"] = {"phase": "Ready", "count": -1}
    assert [str(e) for e in VALIDATOR.validate_status(new, old)] == [
        "status.count: Invalid value: -1: count in body should be greater than or equal to 0"
    ]
    new["status"] = {"phase": "Gone"}
    assert [str(e) for e in VALIDATOR.validate_status(new, old)] == [
        'status.phase: Unsupported value: "Gone": supported values: "Ready", "Failed"',
        NOT_CHECKED,
    ]


def test_invalid_status_is_the_api_servers_aggregate() -> None:
    one = FieldError("FieldValueRequired", "spec.a")
    two = FieldError("FieldValueInvalid", "spec.b", 3, "too big")
    status = invalid_status("cloudnet.dev", "DnatRule", "web", [one, two])
    assert status["message"] == (
        'DnatRule.cloudnet.dev "web" is invalid: '
        "[spec.a: Required value, spec.b: Invalid value: 3: too big]"
    )
    assert status["details"]["causes"] == [
        {"reason": "FieldValueRequired", "message": "Required value", "field": "spec.a"},
        {"reason": "FieldValueInvalid", "message": "Invalid value: 3: too big", "field": "spec.b"},
    ]
    assert invalid_status("", "ConfigMap", "c", [one])["message"] == (
        'ConfigMap "c" is invalid: spec.a: Required value'
    )


def test_a_crd_with_a_broken_rule_or_pattern_is_named() -> None:
    schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {"a": {"type": "string", "pattern": "(?<=x)y"}},
                "x-kubernetes-validations": [{"rule": "self.a ==", "message": "m"}],
            }
        },
    }
    crd = {"spec": {"versions": [{"name": "v1", "schema": {"openAPIV3Schema": schema}}]}}
    fields = [e.field for e in crd_errors(crd)]
    root = "spec.versions[0].schema.openAPIV3Schema.properties[spec]"
    assert fields == [f"{root}.x-kubernetes-validations[0].rule", f"{root}.properties[a].pattern"]
