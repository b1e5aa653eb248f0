"""End-to-end: `RegionSettings` of Custom::ReplicaKey, full convergence of a replica that comes back, and a
replacement that keeps its alias, through the real binary against the local AWS; AWS state is checked
through the AWS API afterwards, and which regions were written through the local AWS's call log."""

from __future__ import annotations

import json

from mrk_harness import create_primary_key

TYPE = "Custom::ReplicaKey"
KMS_WRITES = {"ReplicateKey", "PutKeyPolicy", "UpdateKeyDescription", "TagResource", "UntagResource", "EnableKey",
              "DisableKey", "CreateAlias", "UpdateAlias", "DeleteAlias", "ScheduleKeyDeletion", "CancelKeyDeletion"}


def primary_key(aws, description="per-region key"):
    meta = create_primary_key(aws.client("kms", "us-east-1"), description)
    return meta["Arn"], meta["KeyId"]


def service_policy(region):
    """The service-authorization pattern: the key is usable only through S3 in its own region."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "S3Only", "Effect": "Allow", "Principal": {"AWS": "*"},
         "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
         "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com",
                                        "kms:CallerAccount": "123456789012"}}}]}


def policy(aws, region, key_id):
    return json.loads(aws.client("kms", region).get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])


def alias_target(aws, region, alias):
    for entry in aws.client("kms", region).list_aliases()["Aliases"]:
        if entry["AliasName"] == alias:
            return entry.get("TargetKeyId")
    return None


def tags(aws, region, key_id):
    return {t["TagKey"]: t["TagValue"] for t in aws.client("kms", region).list_resource_tags(KeyId=key_id)["Tags"]}


def kms_writes(aws):
    return sorted((c["region"], c["operation"]) for c in aws.calls(service="kms") if c["operation"] in KMS_WRITES)


def test_each_region_gets_its_own_policy_alias_and_tags(aws, function, stack):
    arn, key_id = primary_key(aws)
    props = {"PrimaryKeyArn": arn, "ReplicaRegions": ["eu-west-1", "ap-southeast-2"], "Alias": "alias/data",
             "Tags": [{"Key": "team", "Value": "data"}],
             "RegionSettings": {
                 "eu-west-1": {"KeyPolicy": service_policy("eu-west-1"), "Alias": "alias/data-eu",
                               "Tags": [{"Key": "site", "Value": "dublin"}], "Description": "Dublin"},
                 "ap-southeast-2": {"KeyPolicy": service_policy("ap-southeast-2"), "Enabled": False}}}
    created = function.send("Create", TYPE, "Keys", props, stack)
    assert created.status == "SUCCESS", created.reason

    assert policy(aws, "eu-west-1", key_id) == service_policy("eu-west-1")
    assert policy(aws, "ap-southeast-2", key_id) == service_policy("ap-southeast-2")
    assert alias_target(aws, "eu-west-1", "alias/data-eu") == key_id
    assert alias_target(aws, "eu-west-1", "alias/data") is None
    assert alias_target(aws, "ap-southeast-2", "alias/data") == key_id
    eu_tags, ap_tags = tags(aws, "eu-west-1", key_id), tags(aws, "ap-southeast-2", key_id)
    assert eu_tags["site"] == "dublin" and "team" not in eu_tags
    assert ap_tags["team"] == "data" and "site" not in ap_tags
    eu = aws.client("kms", "eu-west-1").describe_key(KeyId=key_id)["KeyMetadata"]
    ap = aws.client("kms", "ap-southeast-2").describe_key(KeyId=key_id)["KeyMetadata"]
    assert (eu["Description"], eu["KeyState"]) == ("Dublin", "Enabled")
    assert (ap["Description"], ap["KeyState"]) == ("per-region key", "Disabled")


def test_an_update_of_one_regions_settings_writes_in_that_region_only(aws, function, stack):
    arn, key_id = primary_key(aws)
    regions = ["eu-west-1", "ap-southeast-2", "eu-central-1"]
    settings = {region: {"KeyPolicy": service_policy(region)} for region in regions}
    props = {"PrimaryKeyArn": arn, "ReplicaRegions": regions, "Alias": "alias/scoped", "RegionSettings": settings}
    created = function.send("Create", TYPE, "Keys", props, stack)
    assert created.status == "SUCCESS", created.reason

    changed_policy = service_policy("eu-west-1")
    changed_policy["Statement"][1]["Condition"]["StringEquals"]["kms:CallerAccount"] = "210987654321"
    new = {**props, "RegionSettings": {**settings, "eu-west-1": {"KeyPolicy": changed_policy,
                                                                 "Alias": "alias/scoped-eu"}}}
    aws.clear_calls()
    updated = function.send("Update", TYPE, "Keys", new, stack, old_properties=props, physical_id=arn)
    assert updated.status == "SUCCESS", updated.reason
    assert updated.physical_id == arn
    assert policy(aws, "eu-west-1", key_id) == changed_policy
    assert alias_target(aws, "eu-west-1", "alias/scoped-eu") == key_id
    assert alias_target(aws, "eu-west-1", "alias/scoped") is None
    assert policy(aws, "eu-central-1", key_id) == service_policy("eu-central-1")
    assert kms_writes(aws) == [("eu-west-1", "CreateAlias"), ("eu-west-1", "DeleteAlias"),
                               ("eu-west-1", "PutKeyPolicy")]


def test_region_settings_for_a_region_not_replicated_fail_before_any_call(aws, function, stack):
    arn, _ = primary_key(aws)
    aws.clear_calls()
    props = {"PrimaryKeyArn": arn, "ReplicaRegions": ["eu-west-1"],
             "RegionSettings": {"eu-central-1": {"Alias": "alias/nowhere"}}}
    answer = function.send("Create", TYPE, "Keys", props, stack)
    assert answer.status == "FAILED"
    assert "'eu-central-1' is not one of ReplicaRegions" in answer.reason, answer.reason
    assert [c for c in aws.calls() if c["service"] != "cloudformation"] == []


def test_a_replica_that_comes_back_after_a_delete_gets_the_whole_desired_state(aws, function, stack):
    arn, key_id = primary_key(aws)
    first = {"PrimaryKeyArn": arn, "ReplicaRegions": ["eu-west-1"], "Tags": [{"Key": "team", "Value": "x"}],
             "Description": "first life", "Enabled": False}
    assert function.send("Create", TYPE, "Keys", first, stack).status == "SUCCESS"
    assert function.send("Delete", TYPE, "Keys", first, stack, physical_id=arn).status == "SUCCESS"
    eu = aws.client("kms", "eu-west-1")
    assert eu.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"

    second = {"PrimaryKeyArn": arn, "ReplicaRegions": ["eu-west-1"], "Alias": "alias/second-life"}
    created = function.send("Create", TYPE, "Keys", second, stack)
    assert created.status == "SUCCESS", created.reason
    meta = eu.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (meta["KeyState"], meta["Description"]) == ("Enabled", "per-region key")
    replica_tags = tags(aws, "eu-west-1", key_id)
    assert "team" not in replica_tags, replica_tags
    assert replica_tags["mrk-provider:stack"] == stack.stack_id and replica_tags["mrk-provider:logical-id"] == "Keys"
    assert alias_target(aws, "eu-west-1", "alias/second-life") == key_id
    assert policy(aws, "eu-west-1", key_id) == policy(aws, "us-east-1", key_id)


def test_an_update_that_adds_a_region_back_gets_the_whole_desired_state_there(aws, function, stack):
    arn, key_id = primary_key(aws)
    both = {"PrimaryKeyArn": arn, "ReplicaRegions": ["eu-west-1", "ap-southeast-2"],
            "Tags": [{"Key": "team", "Value": "x"}]}
    one = {"PrimaryKeyArn": arn, "ReplicaRegions": ["eu-west-1"]}
    assert function.send("Create", TYPE, "Keys", both, stack).status == "SUCCESS"
    assert function.send("Update", TYPE, "Keys", one, stack, old_properties=both, physical_id=arn).status == "SUCCESS"
    back = {**one, "ReplicaRegions": ["eu-west-1", "ap-southeast-2"]}
    updated = function.send("Update", TYPE, "Keys", back, stack, old_properties=one, physical_id=arn)
    assert updated.status == "SUCCESS", updated.reason
    assert aws.client("kms", "ap-southeast-2").describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    assert "team" not in tags(aws, "ap-southeast-2", key_id)
    assert "team" not in tags(aws, "eu-west-1", key_id)


def test_a_replacement_that_keeps_its_alias_moves_it_to_the_new_replicas(aws, function, stack):
    old_arn, old_key = primary_key(aws, "old primary")
    new_arn, new_key = primary_key(aws, "new primary")
    regions = ["eu-west-1", "ap-southeast-2"]
    old = {"PrimaryKeyArn": old_arn, "ReplicaRegions": regions, "Alias": "alias/kept"}
    assert function.send("Create", TYPE, "Keys", old, stack).status == "SUCCESS"

    new = {**old, "PrimaryKeyArn": new_arn}
    replaced = function.send("Update", TYPE, "Keys", new, stack, old_properties=old, physical_id=old_arn)
    assert replaced.status == "SUCCESS", replaced.reason
    assert replaced.physical_id == new_arn
    for region in regions:
        assert alias_target(aws, region, "alias/kept") == new_key

    # CloudFormation then deletes the old resource: its replicas go, the alias stays with the new ones
    deleted = function.send("Delete", TYPE, "Keys", old, stack, physical_id=old_arn)
    assert deleted.status == "SUCCESS", deleted.reason
    for region in regions:
        kms = aws.client("kms", region)
        assert kms.describe_key(KeyId=old_key)["KeyMetadata"]["KeyState"] == "PendingDeletion"
        assert kms.describe_key(KeyId=new_key)["KeyMetadata"]["KeyState"] == "Enabled"
        assert alias_target(aws, region, "alias/kept") == new_key
