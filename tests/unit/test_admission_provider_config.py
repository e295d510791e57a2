"""ProviderConfig admission and model rules."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from cloudnet.api import ProviderConfigSpec
from cloudnet.api.crds import build_crds
from tests.admission import admit

CRD = build_crds()["cloudnet.dev_providerconfigs.yaml"]


def pc(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "provider": "huawei-nat",
        "region": "cn-north-4",
        "projectId": "0123456789abcdef",
        "endpoint": "http://127.0.0.1:18900",
        "credentialsSecretRef": {"name": "huawei-credentials"},
    }
    for key, value in spec.items():
        if value is None:
            base.pop(key)
        else:
            base[key] = value
    return {"apiVersion": "cloudnet.dev/v1alpha1", "kind": "ProviderConfig", "spec": base}


CASES = [
    ("valid", pc(), None),
    ("valid without endpoint", pc(endpoint=None), None),
    ("valid alibaba", pc(provider="alibaba-ens", projectId=None), None),
    ("huawei without project", pc(projectId=None), "projectId is required"),
    ("alibaba with project", pc(provider="alibaba-ecs"), "projectId is for provider huawei-nat"),
    ("unknown provider", pc(provider="aws"), "provider"),
    ("endpoint not a url", pc(endpoint="127.0.0.1:18900"), "endpoint"),
    ("endpoint with space", pc(endpoint="http://a b"), "endpoint"),
    ("region upper case", pc(region="CN-North-4"), "region"),
    ("no secret", pc(credentialsSecretRef=None), "credentialsSecretRef"),
]


@pytest.mark.parametrize(("name", "obj", "expected"), CASES, ids=[c[0] for c in CASES])
def test_admission_and_model(name: str, obj: dict[str, Any], expected: str | None) -> None:
    errors = admit(CRD, obj)
    if expected is None:
        assert errors == []
        ProviderConfigSpec.model_validate(obj["spec"])
        return
    assert any(expected in e for e in errors), errors
    with pytest.raises(pydantic.ValidationError):
        ProviderConfigSpec.model_validate(obj["spec"])


def test_public_endpoints() -> None:
    spec = ProviderConfigSpec.model_validate(pc(endpoint=None)["spec"])
    assert spec.public_endpoint() == "https://nat.cn-north-4.myhuaweicloud.com"
    spec = ProviderConfigSpec.model_validate(pc(endpoint="http://127.0.0.1:18900/")["spec"])
    assert spec.public_endpoint() == "http://127.0.0.1:18900"
