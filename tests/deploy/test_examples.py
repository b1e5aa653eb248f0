"""examples/: every custom resource written against the contract (docs/reference.md sections 3-5), reaching the
provider the documented ways, and the two-stack flow wired as the acceptance test expects."""

from __future__ import annotations

import json
import re

import pytest

from cfn import ROOT, load

EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
PROVIDER = load("template.yaml")
FUNCTION_TIMEOUT = PROVIDER["Resources"]["MrkProviderFunction"]["Properties"]["Timeout"]
DEFAULT_PREFIX = PROVIDER["Parameters"]["ParameterPrefix"]["Default"]
DEFAULT_TOKEN_PARAMETER = PROVIDER["Parameters"]["ServiceTokenParameterName"]["Default"]

# Properties of each type besides ServiceToken and ServiceTimeout, (required, optional), from its JSON Schema
# in schema/ (docs/reference.md sections 3-5); the reader's Names or Path is checked below.
SCHEMAS = {
    "Custom::ReplicaKey": "custom-replica-key.json",
    "Custom::CrossRegionParameter": "custom-cross-region-parameter.json",
    "Custom::CrossRegionParameterReader": "custom-cross-region-parameter-reader.json",
}


def properties_of(resource_type: str) -> tuple[set[str], set[str]]:
    schema = json.loads((ROOT / "schema" / SCHEMAS[resource_type]).read_text(encoding="utf-8"))
    every = set(schema["properties"]) - {"ServiceToken", "ServiceTimeout"}
    required = set(schema["required"]) - {"ServiceToken"}
    return required, every - required


PROPERTIES = {resource_type: properties_of(resource_type) for resource_type in SCHEMAS}

def custom_resources():
    for path in EXAMPLES:
        template = load(path)
        for logical_id, resource in template["Resources"].items():
            if resource["Type"].startswith("Custom::"):
                yield pytest.param(template, logical_id, resource, id=f"{path.name}:{logical_id}")


CUSTOM = list(custom_resources())


def test_every_resource_type_has_an_example():
    types = {resource.values[2]["Type"] for resource in CUSTOM}
    assert types == set(PROPERTIES)


@pytest.mark.parametrize("template, logical_id, resource", CUSTOM)
def test_properties_are_those_of_the_contract(template, logical_id, resource):
    required, optional = PROPERTIES[resource["Type"]]
    given = set(resource["Properties"]) - {"ServiceToken", "ServiceTimeout"}
    assert required <= given, f"missing {required - given}"
    assert given <= required | optional, f"not in the contract: {given - required - optional}"
    if resource["Type"] == "Custom::CrossRegionParameterReader":
        assert len(given & {"Names", "Path"}) == 1, "a reader reads Names or a Path"


@pytest.mark.parametrize("template, logical_id, resource", CUSTOM)
def test_the_service_token_is_a_parameter_or_the_export_never_a_literal(template, logical_id, resource):
    token = resource["Properties"]["ServiceToken"]
    if "Ref" in token:
        parameter = template["Parameters"][token["Ref"]]
        if parameter["Type"] == "AWS::SSM::Parameter::Value<String>":
            assert parameter["Default"] == DEFAULT_TOKEN_PARAMETER
        else:
            assert parameter["Type"] == "String"
    else:
        assert token == {"Fn::ImportValue": {"Fn::Sub": "${ProviderStackName}-ServiceToken"}}
        assert PROVIDER["Outputs"]["ServiceToken"]["Export"]["Name"] == {"Fn::Sub": "${AWS::StackName}-ServiceToken"}


@pytest.mark.parametrize("template, logical_id, resource", CUSTOM)
def test_a_lost_answer_fails_the_stack_soon_after_the_function_timeout(template, logical_id, resource):
    timeout = int(resource["Properties"]["ServiceTimeout"])
    assert FUNCTION_TIMEOUT < timeout <= FUNCTION_TIMEOUT + 120


@pytest.mark.parametrize("template, logical_id, resource", CUSTOM)
def test_parameter_names_are_under_the_default_prefix(template, logical_id, resource):
    properties = resource["Properties"]
    names = list(properties.get("Parameters", {})) + properties.get("Names", [])
    for name in names:
        assert name.startswith(DEFAULT_PREFIX), name


def test_the_primary_stack_replicates_a_multi_region_key_and_publishes_the_replica_arn():
    resources = load("examples/two-stack-primary.yaml")["Resources"]
    [key_id] = [k for k, r in resources.items() if r["Type"] == "AWS::KMS::Key"]
    assert resources[key_id]["Properties"]["MultiRegion"] is True
    # The key owner's consent, without which the provider refuses to replicate the key.
    assert {"Key": "mrk-provider:replicable", "Value": "true"} in resources[key_id]["Properties"]["Tags"]
    [replicas] = [r for r in resources.values() if r["Type"] == "Custom::ReplicaKey"]
    assert replicas["Properties"]["PrimaryKeyArn"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert replicas["Properties"]["ReplicaRegions"] == ["eu-west-1"]
    [published] = [r for r in resources.values() if r["Type"] == "Custom::CrossRegionParameter"]
    assert published["Properties"]["Regions"] == ["eu-west-1"]
    assert published["Properties"]["Parameters"] == {
        f"{DEFAULT_PREFIX}app/key-arn": {"Fn::GetAtt": ["AppKeyReplicas", "Arn.eu-west-1"]}}


def test_the_consumer_stack_reads_the_published_arn_natively_and_uses_the_replica():
    template = load("examples/two-stack-consumer.yaml")
    parameter = template["Parameters"]["ReplicaKeyArn"]
    assert parameter == {**parameter, "Type": "AWS::SSM::Parameter::Value<String>",
                         "Default": f"{DEFAULT_PREFIX}app/key-arn"}
    assert not any(r["Type"].startswith("Custom::") for r in template["Resources"].values())
    assert template["Resources"]["AppQueue"]["Properties"]["KmsMasterKeyId"] == {"Ref": "ReplicaKeyArn"}


def test_the_outputs_the_acceptance_test_reads_exist():
    assert {"PrimaryKeyArn", "ReplicaKeyArn"} <= set(load("examples/two-stack-primary.yaml")["Outputs"])
    assert {"QueueUrl", "ReplicaKeyArn"} <= set(load("examples/two-stack-consumer.yaml")["Outputs"])


def test_examples_name_no_account_of_their_own():
    for path in EXAMPLES:
        text = path.read_text()
        for account in re.findall(r"\b\d{12}\b", text):
            pytest.fail(f"{path.name} names the account {account}; use ${{AWS::AccountId}} or a parameter")


def test_the_operations_example_alarms_and_charts_the_metrics_of_the_contract():
    # GIVEN examples/operations.yaml and the metrics the function writes (README, Operations)
    template = load("examples/operations.yaml")
    provider_default = PROVIDER["Parameters"]["MetricsNamespace"]["Default"]
    assert template["Parameters"]["MetricsNamespace"]["Default"] == provider_default
    alarms = {logical_id: resource["Properties"] for logical_id, resource in template["Resources"].items()
              if resource["Type"] == "AWS::CloudWatch::Alarm"}
    queries = {logical_id: " ".join(m["Expression"]["Fn::Sub"].split()) for logical_id, props in alarms.items()
               for m in props["Metrics"] if m.get("ReturnData")}
    # THEN each resource type has an alarm on its FAILED requests, of every request type
    schema = 'FROM SCHEMA("${MetricsNamespace}", Outcome, RequestType, ResourceType)'
    for resource_type in SCHEMAS:
        [query] = [q for q in queries.values() if f"ResourceType = '{resource_type}'" in q]
        assert query.startswith(f"SELECT COUNT(Duration) {schema} WHERE Outcome = 'FAILED'"), query
    # AND one alarm on the throttled calls of every request
    assert f"SELECT SUM(ThrottledCalls) {schema}" in queries.values()
    for props in alarms.values():
        assert props["TreatMissingData"] == "notBreaching"
    # AND the dashboard charts Duration (p50, p99), the calls and ReplicaWait, as valid JSON
    [dashboard] = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    body = dashboard["DashboardBody"]["Fn::Sub"].replace("${AWS::Region}", "us-east-1")
    widgets = json.loads(body.replace("${MetricsNamespace}", provider_default))["widgets"]
    expressions = [m[0]["expression"] for w in widgets for m in w["properties"]["metrics"]]
    for metric, stat in [("Duration", "p50"), ("Duration", "p99"), ("ReplicaWait", "p99")]:
        assert any(f'MetricName="{metric}"' in e and f"'{stat}'" in e for e in expressions), (metric, stat)
    for metric in ("AwsCalls", "ThrottledCalls", "RetriedCalls"):
        assert any(f"SUM({metric})" in e for e in expressions), metric
