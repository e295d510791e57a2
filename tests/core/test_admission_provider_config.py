"""ProviderConfig admission and model rules."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from cloudnet.catalog import ProviderConfigSpec
from cloudnet.catalog import crds as build_crds
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
    # a region the SDK's map does not know has no default endpoint
    ("huawei region unknown, no endpoint", pc(region="cn-north-99", endpoint=None), "region"),
    ("huawei region unknown, endpoint given", pc(region="cn-north-99"), None),
    (
        "sag region unknown, no endpoint",
        pc(provider="alibaba-sag", projectId=None, region="cn-beijing", endpoint=None),
        "region",
    ),
    (
        "sag region known, no endpoint",
        pc(provider="alibaba-sag", projectId=None, region="cn-shanghai", endpoint=None),
        None,
    ),
    (
        "ecs any region, no endpoint",
        pc(provider="alibaba-ecs", projectId=None, region="cn-beijing", endpoint=None),
        None,
    ),
    ("no secret", pc(credentialsSecretRef=None), "credentialsSecretRef"),
    (
        "rrsa alibaba, no secret",
        pc(
            provider="alibaba-ens",
            projectId=None,
            credentialsSource="RRSA",
            credentialsSecretRef=None,
        ),
        None,
    ),
    (
        "rrsa with a secret",
        pc(provider="alibaba-ens", projectId=None, credentialsSource="RRSA"),
        "credentialsSource RRSA is for alibaba-ens, alibaba-sag, alibaba-ecs only and takes no "
        "credentialsSecretRef",
    ),
    (
        "rrsa for huawei",
        pc(credentialsSource="RRSA", credentialsSecretRef=None),
        "credentialsSource RRSA is for alibaba-ens, alibaba-sag, alibaba-ecs only",
    ),
    (
        "explicit Secret source without a secret",
        pc(credentialsSource="Secret", credentialsSecretRef=None),
        "credentialsSecretRef is required unless credentialsSource is RRSA",
    ),
    ("unknown source", pc(credentialsSource="IRSA"), "credentialsSource"),
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
    # the two Huawei regions outside myhuaweicloud.com, as the SDK's NatRegion map has them
    for region, url in (
        ("ap-southeast-4", "https://nat.ap-southeast-4.myhuaweicloud.cn"),
        ("eu-west-101", "https://nat.eu-west-101.myhuaweicloud.eu"),
    ):
        spec = ProviderConfigSpec.model_validate(pc(endpoint=None, region=region)["spec"])
        assert spec.public_endpoint() == url
    sag = pc(provider="alibaba-sag", projectId=None, region="cn-hongkong", endpoint=None)
    assert (
        ProviderConfigSpec.model_validate(sag["spec"]).public_endpoint()
        == "https://smartag.cn-hongkong.aliyuncs.com"
    )
    ens = pc(provider="alibaba-ens", projectId=None, region="cn-beijing", endpoint=None)
    assert ProviderConfigSpec.model_validate(ens["spec"]).public_endpoint() == (
        "https://ens.aliyuncs.com"
    )
    spec = ProviderConfigSpec.model_validate(pc(endpoint="http://127.0.0.1:18900/")["spec"])
    assert spec.public_endpoint() == "http://127.0.0.1:18900"
