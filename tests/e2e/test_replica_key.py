"""End-to-end: Custom::ReplicaKey through the real binary, against the local AWS. Each scenario checks
AWS state afterwards through the AWS API."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from mrk_harness import create_primary_key


TYPE = "Custom::ReplicaKey"
OWNER_STACK, OWNER_LOGICAL = "mrk-provider:stack", "mrk-provider:logical-id"


def primary_key(aws, description="application data key"):
    meta = create_primary_key(aws.client("kms", "us-east-1"), description)
    return meta["Arn"], meta["KeyId"]


def replica(aws, region, key_id):
    """The key's metadata in `region`, or None when it has no replica there."""
    try:
        return aws.client("kms", region).describe_key(KeyId=key_id)["KeyMetadata"]
    except ClientError as err:
        if err.response["Error"]["Code"] == "NotFoundException":
            return None
        raise


def tags(aws, region, key_id):
    listed = aws.client("kms", region).list_resource_tags(KeyId=key_id)["Tags"]
    return {t["TagKey"]: t["TagValue"] for t in listed}


def alias_target(aws, region, alias):
    for entry in aws.client("kms", region).list_aliases()["Aliases"]:
        if entry["AliasName"] == alias:
            return entry.get("TargetKeyId")
    return None


def changing_calls(aws):
    """The calls to KMS and SSM; the function reads CloudFormation (its caller check) for every request."""
    return [c for c in aws.calls() if c["service"] != "cloudformation"]


def live_replicas(aws, regions, key_id):
    """Regions where the key has a replica that is not pending deletion."""
    return [r for r in regions if (m := replica(aws, r, key_id)) and m["KeyState"] != "PendingDeletion"]


def test_full_lifecycle_create_update_replace_delete(aws, function, stack):
    arn, key_id = primary_key(aws)
    props = {"PrimaryKeyArn": arn, "ReplicaRegions": ["eu-west-1", "ap-southeast-2"], "Alias": "alias/app",
             "PendingWindowInDays": 7, "Tags": [{"Key": "team", "Value": "platform"}]}

    # Create: one replica per region, Enabled, tagged with the owner, aliased
    created = function.send("Create", TYPE, "Keys", props, stack)
    assert created.status == "SUCCESS", created.reason
    assert created.physical_id == arn
    assert created.data["KeyId"] == key_id
    assert created.data["ReplicaKeyArns"].split(",") == [
        arn.replace("us-east-1", "eu-west-1"), arn.replace("us-east-1", "ap-southeast-2")]
    for region in ("eu-west-1", "ap-southeast-2"):
        meta = replica(aws, region, key_id)
        assert meta["KeyState"] == "Enabled"
        assert meta["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
        assert meta["Description"] == "application data key"
        assert created.data[f"Arn.{region}"] == meta["Arn"]
        owner = tags(aws, region, key_id)
        assert owner[OWNER_STACK] == stack.stack_id and owner[OWNER_LOGICAL] == "Keys" and owner["team"] == "platform"
        assert alias_target(aws, region, "alias/app") == key_id
    assert replica(aws, "us-east-1", key_id)["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"

    # Update: add eu-central-1, remove ap-southeast-2
    moved = {**props, "ReplicaRegions": ["eu-west-1", "eu-central-1"]}
    updated = function.send("Update", TYPE, "Keys", moved, stack, old_properties=props, physical_id=arn)
    assert updated.status == "SUCCESS", updated.reason
    assert replica(aws, "eu-central-1", key_id)["KeyState"] == "Enabled"
    assert replica(aws, "ap-southeast-2", key_id)["KeyState"] == "PendingDeletion"
    assert alias_target(aws, "ap-southeast-2", "alias/app") is None
    assert replica(aws, "eu-west-1", key_id)["KeyState"] == "Enabled"

    # Update: description, tags (team removed, env added), alias renamed, disabled
    changed = {**moved, "Description": "renamed", "Tags": [{"Key": "env", "Value": "prod"}], "Alias": "alias/app2",
               "Enabled": False}
    updated = function.send("Update", TYPE, "Keys", changed, stack, old_properties=moved, physical_id=arn)
    assert updated.status == "SUCCESS", updated.reason
    for region in ("eu-west-1", "eu-central-1"):
        meta = replica(aws, region, key_id)
        assert meta["Description"] == "renamed" and meta["KeyState"] == "Disabled"
        assert "team" not in tags(aws, region, key_id) and tags(aws, region, key_id)["env"] == "prod"
        assert alias_target(aws, region, "alias/app") is None
        assert alias_target(aws, region, "alias/app2") == key_id

    # Replacement: a new primary gets a new physical id; CloudFormation then deletes the old one
    new_arn, new_key_id = primary_key(aws, "second key")
    replaced_props = {**changed, "PrimaryKeyArn": new_arn, "Alias": "alias/app3", "Enabled": True}
    replaced = function.send("Update", TYPE, "Keys", replaced_props, stack, old_properties=changed, physical_id=arn)
    assert replaced.status == "SUCCESS", replaced.reason
    assert replaced.physical_id == new_arn
    assert live_replicas(aws, ["eu-west-1", "eu-central-1"], new_key_id) == ["eu-west-1", "eu-central-1"]
    old_deleted = function.send("Delete", TYPE, "Keys", changed, stack, physical_id=arn)
    assert old_deleted.status == "SUCCESS", old_deleted.reason
    assert live_replicas(aws, ["eu-west-1", "eu-central-1", "ap-southeast-2"], key_id) == []

    # Delete: no owned replica left outside PendingDeletion, the primaries untouched
    deleted = function.send("Delete", TYPE, "Keys", replaced_props, stack, physical_id=new_arn)
    assert deleted.status == "SUCCESS", deleted.reason
    assert live_replicas(aws, ["eu-west-1", "eu-central-1"], new_key_id) == []
    assert replica(aws, "us-east-1", new_key_id)["KeyState"] == "Enabled"
    assert replica(aws, "us-east-1", key_id)["KeyState"] == "Enabled"


def test_a_redelivered_create_makes_one_replica_per_region_and_answers_twice(aws, function, stack):
    arn, key_id = primary_key(aws)
    props = {"PrimaryKeyArn": arn, "ReplicaRegions": ["eu-west-1"], "Alias": "alias/redelivered"}
    event = function.event("Create", TYPE, "Keys", props, stack, request_id="same-request")
    function.register("Create", TYPE, "Keys", stack)  # a raw event registers nothing
    first = function.send("Create", TYPE, "Keys", props, stack, raw=event, request_id="same-request")
    second = function.send("Create", TYPE, "Keys", props, stack, raw=event, request_id="same-request")
    bodies = [p.json() for p in second.puts]
    assert [b["Status"] for b in bodies] == ["SUCCESS", "SUCCESS"], bodies
    assert first.physical_id == second.physical_id == arn
    keys_in_region = aws.client("kms", "eu-west-1").list_keys()["Keys"]
    assert [k["KeyId"] for k in keys_in_region].count(key_id) == 1
    assert replica(aws, "eu-west-1", key_id)["KeyState"] == "Enabled"


def test_a_create_failing_in_one_region_is_rolled_back_without_leftovers(aws, function, stack):
    arn, key_id = primary_key(aws)
    props = {"PrimaryKeyArn": arn, "ReplicaRegions": ["eu-west-1", "ap-southeast-2"], "Alias": "alias/rollback"}
    # ap-southeast-2 keeps failing with 5xx, past every retry
    aws.faults(service="kms", regions=["ap-southeast-2"], error_5xx=1000)
    failed = function.send("Create", TYPE, "Keys", props, stack)
    assert failed.status == "FAILED"
    assert "ap-southeast-2" in failed.reason, failed.reason
    assert failed.physical_id == arn, "something was created, so the rollback must be able to find it"

    aws.clear_faults()
    rollback = function.send("Delete", TYPE, "Keys", props, stack, physical_id=failed.physical_id)
    assert rollback.status == "SUCCESS", rollback.reason
    assert live_replicas(aws, ["eu-west-1", "ap-southeast-2"], key_id) == []
    assert alias_target(aws, "eu-west-1", "alias/rollback") is None


def test_a_throttling_burst_still_succeeds(aws, function, stack):
    arn, key_id = primary_key(aws)
    aws.faults(service="kms", throttle=3)
    answer = function.send("Create", TYPE, "Keys", {"PrimaryKeyArn": arn, "ReplicaRegions": ["eu-west-1"]}, stack)
    assert answer.status == "SUCCESS", answer.reason
    assert replica(aws, "eu-west-1", key_id)["KeyState"] == "Enabled"


def test_a_hung_call_is_answered_failed_before_the_deadline(aws, function, stack):
    arn, _ = primary_key(aws)
    aws.faults(service="kms", operations=["DescribeKey"], hang=1, hang_seconds=20)
    answer = function.send("Create", TYPE, "Keys", {"PrimaryKeyArn": arn, "ReplicaRegions": ["eu-west-1"]}, stack,
                           deadline_in=4.0, timeout=30)
    assert answer.status == "FAILED"
    assert "ran out of time during DescribeKey in us-east-1" in answer.reason, answer.reason
    assert answer.answered_after < 4.0, f"answered {answer.answered_after:.1f} s after the invocation"
    assert answer.result.kind == "response"


def test_the_answer_is_delivered_when_the_first_two_puts_fail(aws, function, stack):
    arn, _ = primary_key(aws)
    function.receiver.fail_next(2)
    answer = function.send("Create", TYPE, "Keys", {"PrimaryKeyArn": arn, "ReplicaRegions": ["eu-west-1"]}, stack)
    assert len(answer.puts) == 3
    assert answer.status == "SUCCESS", answer.reason
    assert all(p.headers.get("Content-Type", "") == "" for p in answer.puts)


ARN = "arn:aws:kms:us-east-1:123456789012:key/mrk-00000000000000000000000000000000"
BAD_INPUT = [
    ("unknown property", TYPE, {"PrimaryKeyArn": ARN, "ReplicaRegions": ["eu-west-1"], "Enable": True},
     "unknown property 'Enable' for Custom::ReplicaKey"),
    ("missing key", TYPE, {"ReplicaRegions": ["eu-west-1"]}, "missing required property 'PrimaryKeyArn'"),
    ("not an MRK", TYPE, {"PrimaryKeyArn": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                          "ReplicaRegions": ["eu-west-1"]}, "is not the ARN of a multi-Region key"),
    ("no regions", TYPE, {"PrimaryKeyArn": ARN, "ReplicaRegions": []}, "the list is empty"),
    ("primary region", TYPE, {"PrimaryKeyArn": ARN, "ReplicaRegions": ["us-east-1"]}, "primary key's own region"),
    ("duplicate", TYPE, {"PrimaryKeyArn": ARN, "ReplicaRegions": ["eu-west-1", "eu-west-1"]}, "listed twice"),
    ("other partition", TYPE, {"PrimaryKeyArn": ARN, "ReplicaRegions": ["cn-north-1"]}, "partition aws-cn"),
    ("window", TYPE, {"PrimaryKeyArn": ARN, "ReplicaRegions": ["eu-west-1"], "PendingWindowInDays": 5},
     "outside 7 to 30"),
    ("boolean", TYPE, {"PrimaryKeyArn": ARN, "ReplicaRegions": ["eu-west-1"], "Enabled": "yes"},
     "expected true or false"),
    ("policy", TYPE, {"PrimaryKeyArn": ARN, "ReplicaRegions": ["eu-west-1"], "KeyPolicy": "{not json"},
     "invalid property 'KeyPolicy'"),
    ("alias", TYPE, {"PrimaryKeyArn": ARN, "ReplicaRegions": ["eu-west-1"], "Alias": "app"}, "is not a valid alias"),
    ("reserved tag", TYPE, {"PrimaryKeyArn": ARN, "ReplicaRegions": ["eu-west-1"],
                            "Tags": [{"Key": "aws:owner", "Value": "x"}]}, "reserved prefix"),
    ("unsupported type", "Custom::Nope", {"Anything": 1}, "unsupported ResourceType 'Custom::Nope'"),
]


@pytest.mark.parametrize("case,resource_type,props,expected", BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_fails_clearly_and_changes_nothing(aws, function, stack, case, resource_type, props, expected):
    answer = function.send("Create", resource_type, "Keys", props, stack)
    assert answer.status == "FAILED"
    assert expected in answer.reason, answer.reason
    assert answer.physical_id.startswith("mrk-provider:failed-create:")
    assert changing_calls(aws) == [], "validation must happen before any call but CloudFormation's reads"
    rollback = function.send("Delete", resource_type, "Keys", props, stack, physical_id=answer.physical_id)
    assert rollback.status == "SUCCESS" and changing_calls(aws) == []


def test_a_malformed_request_type_is_answered_failed(aws, function, stack):
    event = function.event("Create", TYPE, "Keys", {"PrimaryKeyArn": ARN, "ReplicaRegions": ["eu-west-1"]}, stack,
                           request_id="upsert-request")
    event["RequestType"] = "Upsert"
    answer = function.send("Create", TYPE, "Keys", {}, stack, raw=event, request_id="upsert-request")
    assert answer.status == "FAILED"
    assert "Upsert" in answer.reason
    assert aws.calls() == []


def test_the_function_logs_json_without_the_response_url_signature(function):
    logs = function.logs()
    lines = [line for line in logs.splitlines() if line.startswith("{")]
    assert lines, "the function wrote no JSON log line"
    assert "e2e0secret0signature" not in logs, "the ResponseURL signature was logged"
    assert "?<redacted>" in logs
