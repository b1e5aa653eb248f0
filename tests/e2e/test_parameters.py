"""End-to-end: Custom::CrossRegionParameter and Custom::CrossRegionParameterReader through the real
binary, and the whole main flow (replicate a key, push its ARN across regions, read it back), checked
through the AWS API afterwards."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from mrk_harness import Function, Stack, create_primary_key

FUNCTION_ENV = {"PARAMETER_PREFIX": "/app/", "DECRYPT_PREFIX": "/app/"}
WRITER, READER, KEYS = "Custom::CrossRegionParameter", "Custom::CrossRegionParameterReader", "Custom::ReplicaKey"


@pytest.fixture(scope="module")
def eu_function(aws, tmp_path_factory):
    """The provider deployed in eu-west-1 as well, for the stacks there: CloudFormation calls the ServiceToken
    of the stack's own region."""
    fn = Function(aws.endpoint, tmp_path_factory.mktemp("logs-eu-west-1") / "function.log", env=FUNCTION_ENV,
                  region="eu-west-1")
    yield fn
    fn.close()


def value(aws, region, name):
    try:
        return aws.client("ssm", region).get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    except ClientError as err:
        if err.response["Error"]["Code"] == "ParameterNotFound":
            return None
        raise


def owner(aws, region, name):
    tags = aws.client("ssm", region).list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
    return {t["Key"]: t["Value"] for t in tags}


def test_the_main_flow_replicates_the_key_and_moves_its_arn_across_regions(aws, function, eu_function, stack):
    # a primary stack in us-east-1: the key, its replicas, and its ARN pushed into eu-west-1
    arn = create_primary_key(aws.client("kms", "us-east-1"), "seed key")["Arn"]
    replicas = function.send("Create", KEYS, "Replicas", {"PrimaryKeyArn": arn,
                             "ReplicaRegions": ["eu-west-1", "ap-southeast-2"]}, stack)
    assert replicas.status == "SUCCESS", replicas.reason
    pushed = function.send("Create", WRITER, "Export", {"Regions": ["eu-west-1"],
                           "Parameters": {"/app/primary-key-arn": arn}}, stack)
    assert pushed.status == "SUCCESS", pushed.reason
    assert pushed.data["Names"] == "/app/primary-key-arn"
    assert value(aws, "eu-west-1", "/app/primary-key-arn") == arn  # what {{resolve:ssm:...}} reads there
    assert value(aws, "us-east-1", "/app/primary-key-arn") is None
    aws.client("ssm", "us-east-1").put_parameter(Name="/app/home-arn", Value=arn, Type="String")

    # a consumer stack in eu-west-1 pulls the ARN from us-east-1, through the provider of eu-west-1
    consumer = Stack(name="consumer", region="eu-west-1")
    read = eu_function.send("Create", READER, "Reader", {"Region": "us-east-1", "Names": ["/app/home-arn"]},
                            consumer)
    assert read.status == "SUCCESS", read.reason
    assert read.data["Value"] == arn and read.data["/app/home-arn"] == arn
    assert read.body["NoEcho"] is False

    # the replica in eu-west-1 is the key the consumer uses there
    key_id = arn.split("/")[-1]
    replica = aws.client("kms", "eu-west-1").describe_key(KeyId=key_id)["KeyMetadata"]
    assert replica["KeyState"] == "Enabled" and replica["Arn"] == replicas.data["Arn.eu-west-1"]

    # deleting both stacks leaves no owned parameter and no live replica
    assert eu_function.send("Delete", READER, "Reader", {"Region": "us-east-1", "Names": ["/app/home-arn"]},
                            consumer, physical_id=read.physical_id).status == "SUCCESS"
    assert function.send("Delete", WRITER, "Export", {"Regions": ["eu-west-1"],
                         "Parameters": {"/app/primary-key-arn": arn}}, stack,
                         physical_id=pushed.physical_id).status == "SUCCESS"
    assert value(aws, "eu-west-1", "/app/primary-key-arn") is None
    assert value(aws, "us-east-1", "/app/home-arn") == arn, "the reader never deletes what it reads"
    assert function.send("Delete", KEYS, "Replicas", {"PrimaryKeyArn": arn, "ReplicaRegions":
                         ["eu-west-1", "ap-southeast-2"]}, stack, physical_id=arn).status == "SUCCESS"
    for region in ("eu-west-1", "ap-southeast-2"):
        assert aws.client("kms", region).describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"


def test_parameter_lifecycle_writes_changes_and_cleans_up(aws, function, stack):
    props = {"Regions": ["eu-west-1", "ap-southeast-2"], "Parameters": {"/app/a": "1", "/app/b": "2"},
             "Tags": [{"Key": "team", "Value": "platform"}]}
    created = function.send("Create", WRITER, "Params", props, stack)
    assert created.status == "SUCCESS", created.reason
    for region in ("eu-west-1", "ap-southeast-2"):
        assert (value(aws, region, "/app/a"), value(aws, region, "/app/b")) == ("1", "2")
        tags = owner(aws, region, "/app/a")
        assert tags["mrk-provider:stack"] == stack.stack_id and tags["mrk-provider:logical-id"] == "Params"

    # a changed value is written, a name added and one removed, a region swapped
    changed = {**props, "Regions": ["eu-west-1", "eu-central-1"], "Parameters": {"/app/a": "changed", "/app/c": "3"}}
    updated = function.send("Update", WRITER, "Params", changed, stack, old_properties=props,
                            physical_id=created.physical_id)
    assert updated.status == "SUCCESS", updated.reason
    assert updated.physical_id == created.physical_id
    for region in ("eu-west-1", "eu-central-1"):
        assert value(aws, region, "/app/a") == "changed" and value(aws, region, "/app/c") == "3"
        assert value(aws, region, "/app/b") is None
    assert value(aws, "ap-southeast-2", "/app/a") is None and value(aws, "ap-southeast-2", "/app/b") is None

    deleted = function.send("Delete", WRITER, "Params", changed, stack, physical_id=created.physical_id)
    assert deleted.status == "SUCCESS", deleted.reason
    for region in ("eu-west-1", "eu-central-1", "ap-southeast-2"):
        assert aws.client("ssm", region).describe_parameters()["Parameters"] == []


def test_a_redelivered_parameter_create_answers_twice_and_writes_once(aws, function, stack):
    props = {"Regions": ["eu-west-1"], "Parameters": {"/app/redelivered": "v"}}
    event = function.event("Create", WRITER, "Params", props, stack, request_id="same-parameter-request")
    function.register("Create", WRITER, "Params", stack)  # a raw event registers nothing
    function.send("Create", WRITER, "Params", props, stack, raw=event, request_id="same-parameter-request")
    second = function.send("Create", WRITER, "Params", props, stack, raw=event, request_id="same-parameter-request")
    assert [p.json()["Status"] for p in second.puts] == ["SUCCESS", "SUCCESS"]
    listed = aws.client("ssm", "eu-west-1").describe_parameters()["Parameters"]
    assert [p["Name"] for p in listed].count("/app/redelivered") == 1
    function.send("Delete", WRITER, "Params", props, stack, physical_id=second.physical_id)


def test_a_parameter_create_failing_in_one_region_is_rolled_back(aws, function, stack):
    props = {"Regions": ["eu-west-1", "eu-central-1"], "Parameters": {"/app/rollback": "v"}}
    aws.faults(service="ssm", regions=["eu-central-1"], error_5xx=1000)
    failed = function.send("Create", WRITER, "Params", props, stack)
    assert failed.status == "FAILED" and "eu-central-1" in failed.reason, failed.reason
    aws.clear_faults()
    rollback = function.send("Delete", WRITER, "Params", props, stack, physical_id=failed.physical_id)
    assert rollback.status == "SUCCESS", rollback.reason
    assert value(aws, "eu-west-1", "/app/rollback") is None and value(aws, "eu-central-1", "/app/rollback") is None


def test_an_ssm_throttling_burst_still_succeeds(aws, function, stack):
    props = {"Regions": ["eu-west-1"], "Parameters": {f"/app/burst/{i}": str(i) for i in range(12)}}
    aws.faults(service="ssm", throttle=5)
    answer = function.send("Create", WRITER, "Params", props, stack)
    assert answer.status == "SUCCESS", answer.reason
    assert value(aws, "eu-west-1", "/app/burst/11") == "11"
    function.send("Delete", WRITER, "Params", props, stack, physical_id=answer.physical_id)


def test_a_decrypted_secure_string_is_no_echo_and_never_logged(aws, function, stack):
    secret = "e2e-secret-value-4f1d"
    aws.client("ssm", "us-east-1").put_parameter(Name="/app/secret", Value=secret, Type="SecureString")
    read = function.send("Create", READER, "Secret", {"Region": "us-east-1", "Names": ["/app/secret"],
                         "WithDecryption": True}, stack)
    assert read.status == "SUCCESS", read.reason
    assert read.body["NoEcho"] is True and read.data["Value"] == secret
    assert secret not in function.logs()


def test_missing_names_are_all_listed_in_one_reason(aws, function, stack):
    answer = function.send("Create", READER, "Reader", {"Region": "us-east-1",
                           "Names": ["/app/missing-1", "/app/missing-2"]}, stack)
    assert answer.status == "FAILED"
    assert "/app/missing-1" in answer.reason and "/app/missing-2" in answer.reason and "us-east-1" in answer.reason


BAD = [
    ("no leading slash", WRITER, {"Regions": ["eu-west-1"], "Parameters": {"app/x": "v"}}, "app/x"),
    ("outside the prefix", WRITER, {"Regions": ["eu-west-1"], "Parameters": {"/other/x": "v"}}, "/app"),
    ("reserved prefix", READER, {"Region": "eu-west-1", "Names": ["/aws/x"]}, "/aws/x"),
    ("too large", WRITER, {"Regions": ["eu-west-1"], "Parameters": {"/app/big": "x" * 4097}}, "4096"),
    ("bad region", WRITER, {"Regions": ["Ireland"], "Parameters": {"/app/x": "v"}}, "Ireland"),
    ("bad type", WRITER, {"Regions": ["eu-west-1"], "Parameters": {"/app/x": "v"}, "Type": "StringList"}, "Type"),
    ("unknown", READER, {"Region": "eu-west-1", "Names": ["/app/x"], "Decrypt": True}, "unknown property 'Decrypt'"),
]


@pytest.mark.parametrize("case,resource_type,props,expected", BAD, ids=[c[0] for c in BAD])
def test_bad_parameter_input_fails_clearly_and_calls_nothing(aws, function, stack, case, resource_type, props,
                                                              expected):
    answer = function.send("Create", resource_type, "Params", props, stack)
    assert answer.status == "FAILED"
    assert expected in answer.reason, answer.reason
    assert [c for c in aws.calls() if c["service"] != "cloudformation"] == [], "only the caller check's reads"
