"""The e2e fixtures' own logic, which must be right even where no cluster exists."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ready_nodes, split_image


def node(name: str, ready: str | None) -> dict[str, object]:
    conditions = [{"type": "MemoryPressure", "status": "False"}]
    if ready is not None:
        conditions.append({"type": "Ready", "status": ready})
    return {"metadata": {"name": name}, "status": {"conditions": conditions}}


def test_only_ready_nodes_count() -> None:
    nodes = {
        "items": [node("a", "True"), node("b", "False"), node("c", "Unknown"), node("d", None)]
    }
    assert ready_nodes(nodes) == ["a"]
    assert ready_nodes({"items": []}) == []
    assert ready_nodes({"kind": "NodeList"}) == []


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("cloudnet-operator:dev", ("cloudnet-operator", "dev")),
        ("ghcr.io/org/cloudnet-operator:0.1.0", ("ghcr.io/org/cloudnet-operator", "0.1.0")),
        ("localhost:5000/cloudnet-operator", ("localhost:5000/cloudnet-operator", "latest")),
        ("localhost:5000/cloudnet-operator:dev", ("localhost:5000/cloudnet-operator", "dev")),
        ("cloudnet-operator", ("cloudnet-operator", "latest")),
    ],
)
def test_split_image(image: str, expected: tuple[str, str]) -> None:
    assert split_image(image) == expected
