"""Admission in the test Kubernetes API: the cloudnet CRDs' schema and rules, through real kubectl.

Each refusal is asserted as kubectl prints it, from the 422 Invalid Status the
API server would send: ``The <Kind> "<name>" is invalid: <field>: <body>``.
"""

import json
import logging
import pathlib
import subprocess
import sys

import httpx
import pytest
import yaml

from cloudnet_devkit.kubeapi import TestKubeAPI, serve

ROOT = pathlib.Path(__file__).resolve().parents[2]
DNAT_PATH = "/apis/cloudnet.dev/v1alpha1/namespaces/default/dnatrules"
CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
NOT_CHECKED = (
    '<nil>: Invalid value: "null": some validation rules were not checked because the '
    "object was invalid; correct the existing errors to complete validation"
)


def dnat(name="web", **huawei):
    block = {
        "natGatewayId": "23a937a4-f3dc-41ed-bf54-6a9844aa46e5",
        "floatingIpId": "a974bed9-1264-4c34-b01a-f8a2c325f4ca",
        "portId": "12cf9091-5178-4185-8be3-2c13f3f41ac8",
        "protocol": "tcp",
        "internalServicePort": 443,
        "externalServicePort": 8443,
    }
    block.update(huawei)
    return {
        "apiVersion": "cloudnet.dev/v1alpha1",
        "kind": "DnatRule",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"providerConfigRef": {"name": "huawei"}, "huaweiNat": block},
    }


def nic(name="web", **spec):
    body = {
        "providerConfigRef": {"name": "ecs"},
        "regionId": "cn-hangzhou",
        "networkInterfaceId": "eni-bp14f7k2m9xq3w8y5avl",
        "securityGroupIds": ["sg-bp1fg655nh68xyz9i4nc"],
    }
    body.update(spec)
    return {
        "apiVersion": "cloudnet.dev/v1alpha1",
        "kind": "NetworkInterfaceConfig",
        "metadata": {"name": name, "namespace": "default"},
        "spec": body,
    }


@pytest.fixture()
def crds(kubectl):
    kubectl("apply", "-f", str(ROOT / "crds"))


def refused(result):
    assert result.returncode != 0, result.stdout
    return result.stderr


def test_invalid_dnat_rule_is_refused_with_the_field_named(kubectl, crds):
    stderr = refused(kubectl.apply(dnat(externalServicePort=70000), check=False))
    assert (
        'The DnatRule "web" is invalid: spec.huaweiNat.externalServicePort: Invalid value: '
        "70000: spec.huaweiNat.externalServicePort in body should be less than or equal to 65535"
    ) in stderr
    assert kubectl("get", "dnat", "web", check=False).returncode != 0


def test_invalid_network_interface_config_is_refused_with_the_field_named(kubectl, crds):
    stderr = refused(kubectl.apply(nic(networkInterfaceId="nic-1"), check=False))
    assert (
        'The NetworkInterfaceConfig "web" is invalid: spec.networkInterfaceId: Invalid value: '
        "\"nic-1\": spec.networkInterfaceId in body should match '^eni-[0-9a-zA-Z]+$'"
    ) in stderr
    assert kubectl("get", "nic", "web", check=False).returncode != 0


def test_valid_objects_and_the_examples_are_admitted(kubectl, crds):
    kubectl.apply([dnat(), nic()])
    kubectl("apply", "-f", str(ROOT / "examples" / "manifests"))
    names = kubectl("get", "dnat,nic", "-A", "-o", "name").stdout.split()
    assert "dnatrule.cloudnet.dev/web" in names
    assert "networkinterfaceconfig.cloudnet.dev/web" in names


def test_a_failed_rule_names_its_node_with_the_rule_message(kubectl, crds):
    rule = dnat()
    del rule["spec"]["huaweiNat"]["portId"]
    stderr = refused(kubectl.apply(rule, check=False))
    assert (
        'The DnatRule "web" is invalid: spec.huaweiNat: Invalid value: "object": '
        "exactly one of portId or privateIp is required"
    ) in stderr


def test_blocking_schema_errors_are_listed_and_the_rules_not_run(kubectl, crds):
    stderr = refused(kubectl.apply(dnat(protocol="icmp", privateIp="10.0.0"), check=False))
    lines = stderr.splitlines()
    assert 'The DnatRule "web" is invalid: ' in lines[0]
    assert set(lines[1:]) == {
        '* spec.huaweiNat.privateIp: Invalid value: "10.0.0": spec.huaweiNat.privateIp in '
        'body must be of type ipv4: "10.0.0"',
        '* spec.huaweiNat.protocol: Unsupported value: "icmp": supported values: "tcp", '
        '"udp", "any"',
        f"* {NOT_CHECKED}",
    }


def test_transition_rules_see_the_old_object(kubectl, crds):
    kubectl.apply(dnat())
    moved = dnat(natGatewayId="another-gateway")
    stderr = refused(kubectl.apply(moved, check=False))
    assert (
        'The DnatRule "web" is invalid: spec.huaweiNat.natGatewayId: Invalid value: "string": '
        "natGatewayId is immutable: the cloud cannot change it in place"
    ) in stderr
    patch = json.dumps({"spec": {"providerConfigRef": {"name": "other"}}})
    stderr = refused(kubectl("patch", "dnat", "web", "--type=merge", "-p", patch, check=False))
    assert 'spec.providerConfigRef: Invalid value: "object": providerConfigRef is immutable' in (
        stderr
    )
    kubectl.apply(dnat(externalServicePort=9443))  # a mutable field changes
    stored = kubectl.json("get", "dnat", "web")["spec"]["huaweiNat"]
    assert stored["natGatewayId"] == "23a937a4-f3dc-41ed-bf54-6a9844aa46e5"
    assert stored["externalServicePort"] == 9443


def test_status_is_checked_against_the_status_schema(kubectl, crds):
    kubectl.apply(dnat())
    status = json.dumps({"status": {"phase": "BOGUS", "observedGeneration": 1}})
    args = ("patch", "dnat", "web", "--subresource=status", "--type=merge", "-p", status)
    stderr = refused(kubectl(*args, check=False))
    assert stderr.splitlines()[1:] == [
        '* status.phase: Unsupported value: "BOGUS": supported values: "PENDING_CREATE", '
        '"PENDING_UPDATE", "PENDING_DELETE", "ACTIVE", "INACTIVE", "EIP_FREEZED", "ERROR"',
        f"* {NOT_CHECKED}",
    ]
    assert "status" not in kubectl.json("get", "dnat", "web")
    status = json.dumps({"status": {"phase": "ACTIVE", "observedGeneration": 1}})
    kubectl("patch", "dnat", "web", "--subresource=status", "--type=merge", "-p", status)
    assert kubectl.json("get", "dnat", "web")["status"]["phase"] == "ACTIVE"


def test_dry_run_is_checked_and_stores_nothing(kubectl, crds):
    stderr = refused(
        kubectl.apply(dnat(externalServicePort=70000), "--dry-run=server", check=False)
    )
    assert "spec.huaweiNat.externalServicePort: Invalid value: 70000" in stderr
    kubectl.apply(dnat(), "--dry-run=server")
    assert kubectl("get", "dnat", "web", check=False).returncode != 0


def test_the_refusal_is_the_api_servers_status(kube_server, kubectl, crds):
    with httpx.Client(base_url=kube_server.url, timeout=10) as http:
        response = http.post(DNAT_PATH, json=dnat(externalServicePort=70000))
    assert response.status_code == 422
    message = (
        "Invalid value: 70000: spec.huaweiNat.externalServicePort in body should be less "
        "than or equal to 65535"
    )
    assert response.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": f'DnatRule.cloudnet.dev "web" is invalid: '
        f"spec.huaweiNat.externalServicePort: {message}",
        "reason": "Invalid",
        "details": {
            "name": "web",
            "group": "cloudnet.dev",
            "kind": "DnatRule",
            "causes": [
                {
                    "reason": "FieldValueInvalid",
                    "message": message,
                    "field": "spec.huaweiNat.externalServicePort",
                }
            ],
        },
        "code": 422,
    }


def test_put_and_every_patch_type_are_checked_after_they_apply(kube_server, kubectl, crds):
    kubectl.apply(dnat())
    url = f"{DNAT_PATH}/web"
    bad_port = {"spec": {"huaweiNat": {"externalServicePort": 70000}}}
    with httpx.Client(base_url=kube_server.url, timeout=10) as http:
        stored = http.get(url).json()
        replaced = dict(stored, spec=dnat(externalServicePort=70000)["spec"])
        answers = {
            "PUT": http.put(url, json=replaced),
            "merge": http.patch(
                url, json=bad_port, headers={"Content-Type": "application/merge-patch+json"}
            ),
            "strategic": http.patch(
                url,
                json=bad_port,
                headers={"Content-Type": "application/strategic-merge-patch+json"},
            ),
            "json": http.patch(
                url,
                json=[{"op": "replace", "path": "/spec/huaweiNat/externalServicePort", "value": 0}],
                headers={"Content-Type": "application/json-patch+json"},
            ),
            "apply": http.patch(
                f"{DNAT_PATH}/other?fieldManager=test",
                content=yaml.safe_dump(dnat("other", externalServicePort=70000)),
                headers={"Content-Type": "application/apply-patch+yaml"},
            ),
        }
        for how, answer in answers.items():
            assert answer.status_code == 422, (how, answer.text)
        # port 0 is in the schema's range: a rule of the patched object refuses it
        [cause] = answers["json"].json()["details"]["causes"]
        assert cause["field"] == "spec.huaweiNat"
        assert cause["message"].endswith(
            "port 0 means all ports: internalServicePort and externalServicePort must both be 0"
        )
        assert http.get(url).json() == stored
        assert http.get(f"{DNAT_PATH}/other").status_code == 404


def test_a_crd_whose_rule_does_not_compile_is_refused(kube_server, manifests):
    crd = yaml.safe_load((manifests / "widget-crd.yaml").read_text())
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    spec["x-kubernetes-validations"] = [{"rule": "self.size >", "message": "broken"}]
    with httpx.Client(base_url=kube_server.url, timeout=10) as http:
        response = http.post(CRD_PATH, json=crd)
        assert response.status_code == 422, response.text
        [cause] = response.json()["details"]["causes"]
        assert cause["field"] == (
            "spec.versions[0].schema.openAPIV3Schema.properties[spec]"
            ".x-kubernetes-validations[0].rule"
        )
        assert cause["message"].startswith('Invalid value: "self.size >": compilation failed')
        assert http.get(f"{CRD_PATH}/widgets.test.cloudnet.dev").status_code == 404


def _post_invalid_rule(api):
    crd = yaml.safe_load((ROOT / "crds" / "cloudnet.dev_dnatrules.yaml").read_text())
    with serve(api=api) as handle, httpx.Client(base_url=handle.url, timeout=10) as http:
        assert http.post(CRD_PATH, json=crd).status_code == 201
        return http.post(DNAT_PATH, json=dnat(externalServicePort=70000))


def test_admission_can_be_turned_off():
    assert _post_invalid_rule(TestKubeAPI(admission=False)).status_code == 201


def test_without_its_libraries_admission_warns_once_and_admits(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "jsonschema", None)  # import jsonschema raises ImportError
    with caplog.at_level(logging.WARNING, logger="cloudnet_devkit.kubeapi.admission_control"):
        assert _post_invalid_rule(TestKubeAPI()).status_code == 201
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.name == "cloudnet_devkit.kubeapi.admission_control"
    ]
    assert len(warnings) == 1
    assert "admits custom resources unchecked" in warnings[0]
    assert "'jsonschema'" in warnings[0] and "cloudnet-operator[dev]" in warnings[0]


def test_importing_the_test_api_needs_no_admission_library():
    code = (
        "import sys, cloudnet_devkit.kubeapi, cloudnet_devkit.kubeapi.admission; "
        "print(sorted(m for m in ('jsonschema', 'celpy', 're2') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
