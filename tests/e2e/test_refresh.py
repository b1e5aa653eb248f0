"""End-to-end: `Refresh` through the real binary, against the local AWS. A changed Refresh is an Update that
re-reads (reader), writes only what differs in AWS (writer) or re-applies every setting to every replica and
follows the primary's policy (replica key); an unchanged value answers the very same Data and
PhysicalResourceId, so CloudFormation updates nothing that uses them."""

from __future__ import annotations

import json

from mrk_harness import create_primary_key

FUNCTION_ENV = {"PARAMETER_PREFIX": "/app/"}
WRITER, READER, KEYS = "Custom::CrossRegionParameter", "Custom::CrossRegionParameterReader", "Custom::ReplicaKey"
KMS_WRITES = {"ReplicateKey", "PutKeyPolicy", "UpdateKeyDescription", "TagResource", "UntagResource", "EnableKey",
              "DisableKey", "CreateAlias", "UpdateAlias", "DeleteAlias", "ScheduleKeyDeletion", "CancelKeyDeletion"}
SSM_WRITES = {"PutParameter", "DeleteParameters", "AddTagsToResource", "RemoveTagsFromResource"}


def as_sent(answer):
    """The answer's PhysicalResourceId and Data exactly as the function PUT them (order included)."""
    body = json.loads(answer.puts[-1].body)
    return answer.physical_id, json.dumps(body.get("Data"))


def writes(aws, service, names):
    return [(c["region"], c["operation"]) for c in aws.calls(service=service) if c["operation"] in names]


def refreshed(function, resource_type, logical_id, props, stack, physical_id, old, new):
    """An Update in which only Refresh changes, from `old` to `new`."""
    return function.send("Update", resource_type, logical_id, {**props, "Refresh": new}, stack,
                         old_properties={**props, "Refresh": old}, physical_id=physical_id)


def test_a_reader_refresh_answers_byte_identical_until_the_source_value_changes(aws, function, stack):
    ssm = aws.client("ssm", "eu-west-1")
    ssm.put_parameter(Name="/app/source", Value="v1", Type="String")
    props = {"Region": "eu-west-1", "Names": ["/app/source"]}
    created = function.send("Create", READER, "Reader", {**props, "Refresh": "0"}, stack)
    assert created.status == "SUCCESS", created.reason

    aws.clear_calls()
    first = refreshed(function, READER, "Reader", props, stack, created.physical_id, "0", "1")
    second = refreshed(function, READER, "Reader", props, stack, created.physical_id, "1", "2")
    assert first.status == second.status == "SUCCESS", (first.reason, second.reason)
    assert as_sent(first) == as_sent(second) == as_sent(created)
    assert {c["operation"] for c in aws.calls(service="ssm")} == {"GetParameters"}

    ssm.put_parameter(Name="/app/source", Value="v2", Type="String", Overwrite=True)
    third = refreshed(function, READER, "Reader", props, stack, created.physical_id, "2", "3")
    assert third.status == "SUCCESS", third.reason
    assert third.physical_id == created.physical_id
    assert third.data["Value"] == "v2" and as_sent(third) != as_sent(second)


def test_a_writer_refresh_writes_nothing_when_unchanged_and_repairs_what_was_changed_by_hand(aws, function, stack):
    props = {"Regions": ["eu-west-1", "ap-southeast-2"], "Parameters": {"/app/a": "one", "/app/b": "two"}}
    created = function.send("Create", WRITER, "Export", {**props, "Refresh": "0"}, stack)
    assert created.status == "SUCCESS", created.reason

    # an unchanged refresh: reads, no write, the same answer
    aws.clear_calls()
    first = refreshed(function, WRITER, "Export", props, stack, created.physical_id, "0", "1")
    second = refreshed(function, WRITER, "Export", props, stack, created.physical_id, "1", "2")
    assert first.status == second.status == "SUCCESS", (first.reason, second.reason)
    assert as_sent(first) == as_sent(second) == as_sent(created)
    assert writes(aws, "ssm", SSM_WRITES) == []
    assert {c["operation"] for c in aws.calls(service="ssm")} == {"GetParameters"}

    # a value changed by hand in eu-west-1, a parameter deleted by hand in ap-southeast-2
    aws.client("ssm", "eu-west-1").put_parameter(Name="/app/a", Value="by hand", Type="String", Overwrite=True)
    aws.client("ssm", "ap-southeast-2").delete_parameter(Name="/app/b")
    aws.clear_calls()
    repaired = refreshed(function, WRITER, "Export", props, stack, created.physical_id, "2", "3")
    assert repaired.status == "SUCCESS", repaired.reason
    assert as_sent(repaired) == as_sent(created)
    for region in ("eu-west-1", "ap-southeast-2"):
        ssm = aws.client("ssm", region)
        assert ssm.get_parameter(Name="/app/a")["Parameter"]["Value"] == "one"
        assert ssm.get_parameter(Name="/app/b")["Parameter"]["Value"] == "two"
    assert sorted(w for w in writes(aws, "ssm", {"PutParameter"})) == [
        ("ap-southeast-2", "PutParameter"), ("eu-west-1", "PutParameter")]
    tags = aws.client("ssm", "ap-southeast-2").list_tags_for_resource(ResourceType="Parameter", ResourceId="/app/b")
    assert {t["Key"] for t in tags["TagList"]} >= {"mrk-provider:stack", "mrk-provider:logical-id"}


def replica_policy(aws, region, key_id):
    return json.loads(aws.client("kms", region).get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])


def statement(sid):
    return {"Sid": sid, "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "kms:*", "Resource": "*"}


def test_a_replica_key_refresh_writes_nothing_when_unchanged_and_repairs_a_policy_changed_by_hand(
        aws, function, stack):
    meta = create_primary_key(aws.client("kms", "us-east-1"), "refreshed key")
    arn, key_id = meta["Arn"], meta["KeyId"]
    props = {"PrimaryKeyArn": arn, "ReplicaRegions": ["eu-west-1", "ap-southeast-2"], "Alias": "alias/refreshed",
             "Tags": [{"Key": "team", "Value": "data"}]}
    created = function.send("Create", KEYS, "Keys", {**props, "Refresh": "0"}, stack)
    assert created.status == "SUCCESS", created.reason

    aws.clear_calls()
    first = refreshed(function, KEYS, "Keys", props, stack, arn, "0", "1")
    second = refreshed(function, KEYS, "Keys", props, stack, arn, "1", "2")
    assert first.status == second.status == "SUCCESS", (first.reason, second.reason)
    assert as_sent(first) == as_sent(second) == as_sent(created)
    assert writes(aws, "kms", KMS_WRITES) == []

    # by hand: another policy and an extra tag on the replica in eu-west-1
    eu = aws.client("kms", "eu-west-1")
    eu.put_key_policy(KeyId=key_id, PolicyName="default",
                      Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement("by-hand")]}))
    eu.tag_resource(KeyId=key_id, Tags=[{"TagKey": "by-hand", "TagValue": "1"}])
    aws.clear_calls()
    repaired = refreshed(function, KEYS, "Keys", props, stack, arn, "2", "3")
    assert repaired.status == "SUCCESS", repaired.reason
    primary = replica_policy(aws, "us-east-1", key_id)
    assert replica_policy(aws, "eu-west-1", key_id) == primary
    eu_tags = {t["TagKey"] for t in eu.list_resource_tags(KeyId=key_id)["Tags"]}
    assert "by-hand" not in eu_tags and {"team", "mrk-provider:stack"} <= eu_tags
    assert sorted(writes(aws, "kms", KMS_WRITES)) == [("eu-west-1", "PutKeyPolicy"), ("eu-west-1", "UntagResource")]


def test_a_changed_primary_policy_reaches_the_replicas_through_a_refresh(aws, function, stack):
    kms = aws.client("kms", "us-east-1")
    meta = create_primary_key(kms, "followed key")
    arn, key_id = meta["Arn"], meta["KeyId"]
    props = {"PrimaryKeyArn": arn, "ReplicaRegions": ["eu-west-1", "ap-southeast-2"]}
    created = function.send("Create", KEYS, "Keys", {**props, "Refresh": "0"}, stack)
    assert created.status == "SUCCESS", created.reason

    new_policy = {"Version": "2012-10-17", "Statement": [statement("changed-on-the-primary")]}
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(new_policy))
    aws.clear_calls()
    followed = refreshed(function, KEYS, "Keys", props, stack, arn, "0", "1")
    assert followed.status == "SUCCESS", followed.reason
    for region in ("eu-west-1", "ap-southeast-2"):
        assert replica_policy(aws, region, key_id) == new_policy
    assert sorted(writes(aws, "kms", KMS_WRITES)) == [("ap-southeast-2", "PutKeyPolicy"), ("eu-west-1", "PutKeyPolicy")]
    assert as_sent(followed) == as_sent(created)
