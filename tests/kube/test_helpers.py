"""Unit tests of the patch, selector and table helpers."""

import pytest

from cloudnet_devkit.kubeapi import patching, selectors, tables


def test_merge_patch():
    assert patching.merge_patch({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": None, "e": 4}}) == {
        "a": 1,
        "b": {"d": 3, "e": 4},
    }
    assert patching.merge_patch({"l": [1, 2]}, {"l": [3]}) == {"l": [3]}


def test_json_patch_ops_and_test_failure():
    doc = {"metadata": {"resourceVersion": "5"}, "l": [1, 2]}
    out = patching.json_patch(
        doc,
        [
            {"op": "test", "path": "/metadata/resourceVersion", "value": "5"},
            {"op": "add", "path": "/l/-", "value": 3},
            {"op": "replace", "path": "/l/0", "value": 0},
            {"op": "copy", "from": "/l", "path": "/m"},
            {"op": "move", "from": "/m", "path": "/n"},
            {"op": "remove", "path": "/l/1"},
        ],
    )
    assert out == {"metadata": {"resourceVersion": "5"}, "l": [0, 3], "n": [0, 2, 3]}
    assert doc["l"] == [1, 2]  # untouched
    with pytest.raises(patching.PatchError):
        patching.json_patch(
            doc, [{"op": "test", "path": "/metadata/resourceVersion", "value": "4"}]
        )
    with pytest.raises(patching.PatchError):
        patching.json_patch(doc, [{"op": "remove", "path": "/nope"}])


def test_strategic_merge_patch():
    current = {
        "spec": {
            "containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}],
            "args": ["1", "2"],
        },
        "data": {"k": "v"},
    }
    patch = {
        "spec": {
            "containers": [{"name": "b", "image": "z"}, {"name": "c", "image": "w"}],
            "$setElementOrder/containers": [{"name": "a"}, {"name": "b"}],
            "$deleteFromPrimitiveList/args": ["1"],
        },
        "data": {"k": None, "n": "m"},
    }
    out = patching.strategic_merge_patch(current, patch)
    assert out["spec"]["containers"] == [
        {"name": "a", "image": "x"},
        {"name": "b", "image": "z"},
        {"name": "c", "image": "w"},
    ]
    assert out["spec"]["args"] == ["2"]
    assert out["data"] == {"n": "m"}
    deleted = patching.strategic_merge_patch(
        current, {"spec": {"containers": [{"name": "a", "$patch": "delete"}]}}
    )
    assert [c["name"] for c in deleted["spec"]["containers"]] == ["b"]


def test_label_selectors():
    obj = {"metadata": {"labels": {"app": "x", "tier": "web"}}}
    assert selectors.label_selector("app=x,tier in (web, db)")(obj)
    assert not selectors.label_selector("app!=x")(obj)
    assert selectors.label_selector("app,!missing")(obj)
    assert not selectors.label_selector("tier notin (web)")(obj)
    with pytest.raises(selectors.SelectorError):
        selectors.label_selector("a b c")


def test_field_selectors():
    obj = {"metadata": {"name": "n", "namespace": "ns"}, "type": "Normal"}
    assert selectors.field_selector("metadata.name=n,metadata.namespace==ns")(obj)
    assert not selectors.field_selector("type!=Normal")(obj)
    assert selectors.exact_name("metadata.name=n,type=Normal") == "n"


def test_jsonpath_and_ages():
    obj = {"status": {"conditions": [{"type": "Ready", "status": "True"}], "ports": [1, 2]}}
    assert tables.jsonpath(obj, '.status.conditions[?(@.type=="Ready")].status') == "True"
    assert tables.jsonpath(obj, ".status.ports[1]") == 2
    assert tables.jsonpath(obj, ".status.missing") is None
    assert [tables.human_duration(s) for s in (5, 150, 3600 * 5 + 60, 86400 * 3)] == [
        "5s",
        "2m30s",
        "5h1m",
        "3d",
    ]
