"""End-to-end: the second trust review (docs/reference.md, section 7; SECURITY.md). Each attack is an event
sequence sent to the real binary against the local AWS: it ends FAILED with the rule's reason and leaves AWS
as it was, read back through the API. Each has a twin that CloudFormation's real state makes legitimate,
which succeeds. The deployment has the widest ParameterPrefix, `/`, so that only the provider's own rules
stand between a stack and the ServiceToken parameter."""

from __future__ import annotations

import json
from typing import Any

from mrk_harness import Stack, create_primary_key

SERVICE_TOKEN = "/mrk-provider/service-token"
FUNCTION_ENV = {
    "ALLOWED_REGIONS": "us-east-1,eu-west-1",
    "PARAMETER_PREFIX": "/",
    "SERVICE_TOKEN_PARAMETER": SERVICE_TOKEN,
    "ASSUMABLE_ROLE_ARNS": "arn:aws:iam::*:role/mrk-provider-target",
}
PARAMETER = "Custom::CrossRegionParameter"
READER = "Custom::CrossRegionParameterReader"
REPLICA_KEY = "Custom::ReplicaKey"
NOT_OPERATING = "the provider acts only on a resource that CloudFormation shows"


def parameters(aws: Any, region: str = "eu-west-1") -> dict:
    """Every parameter of `region`: value, version and tags."""
    ssm = aws.client("ssm", region)
    found = ssm.get_parameters_by_path(Path="/", Recursive=True)["Parameters"]
    return {p["Name"]: (p["Value"], p["Version"],
                        sorted(map(str, ssm.list_tags_for_resource(ResourceType="Parameter",
                                                                   ResourceId=p["Name"])["TagList"])))
            for p in found}


def key_states(aws: Any, region: str) -> dict:
    kms = aws.client("kms", region)
    return {k["KeyId"]: kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] for k in kms.list_keys()["Keys"]}


def failed(answer: Any, *parts: str) -> None:
    assert answer.status == "FAILED", answer.body
    for part in parts:
        assert part in answer.reason, answer.reason


# ---- 3. the provider's own ServiceToken parameter ----

def test_the_service_token_parameter_is_never_overwritten_and_another_name_is_adopted(aws, function, stack):
    # GIVEN the ServiceToken parameter in both regions (template.yaml's AWS::SSM::Parameter has no owner tags)
    token = "arn:aws:lambda:us-east-1:123456789012:function:mrk-provider"
    for region in ("us-east-1", "eu-west-1"):
        aws.client("ssm", region).put_parameter(Name=SERVICE_TOKEN, Value=token, Type="String", Overwrite=True)
    aws.client("ssm", "eu-west-1").put_parameter(Name="/shared/orphan", Value="old", Type="String", Overwrite=True)
    before = parameters(aws)

    # WHEN a stack adopts it with AdoptExisting, to point every later stack at its own function
    evil = "arn:aws:lambda:us-east-1:123456789012:function:attacker"
    hijack = {"Regions": ["eu-west-1", "us-east-1"], "Parameters": {SERVICE_TOKEN: evil}, "AdoptExisting": True}
    aws.clear_calls()
    answer = function.send("Create", PARAMETER, "Hijack", hijack, stack)

    # THEN it is refused before any SSM call, and nothing changed
    failed(answer, f"'{SERVICE_TOKEN}' is the parameter that holds this provider's own ServiceToken")
    assert aws.calls(service="ssm") == []
    assert parameters(aws) == before
    assert aws.client("ssm", "us-east-1").get_parameter(Name=SERVICE_TOKEN)["Parameter"]["Value"] == token

    # AND its twin: an unowned parameter of another name is adopted
    adopt = {"Regions": ["eu-west-1"], "Parameters": {"/shared/orphan": "new"}, "AdoptExisting": True}
    adopted = function.send("Create", PARAMETER, "Adopt", adopt, stack)
    assert adopted.status == "SUCCESS", adopted.reason
    assert aws.client("ssm", "eu-west-1").get_parameter(Name="/shared/orphan")["Parameter"]["Value"] == "new"


# ---- 5. the resource being operated on ----

def test_a_delete_while_the_stack_updates_another_resource_is_refused(aws, function, stack):
    # GIVEN a stack whose parameter resource is created and at rest
    export = {"Regions": ["eu-west-1"], "Parameters": {"/victim/key-arn": "v1"}}
    made = function.send("Create", PARAMETER, "Export", export, stack)
    assert made.status == "SUCCESS", made.reason
    # WHEN the stack updates another resource (UPDATE_IN_PROGRESS), and someone invokes a Delete of this one
    aws.register_stack(stack.stack_id, "UPDATE_IN_PROGRESS", {
        "Export": {"type": PARAMETER, "status": "UPDATE_COMPLETE", "physical_id": made.physical_id},
        "Other": {"type": "AWS::SNS::Topic", "status": "UPDATE_IN_PROGRESS"},
    })
    before = parameters(aws)
    forged = function.send("Delete", PARAMETER, "Export", export, stack, physical_id=made.physical_id,
                           register=False)
    # THEN it is refused naming the rule, not the resource's status, and the parameter stays
    failed(forged, "CloudFormation is not deleting the", NOT_OPERATING)
    assert "UPDATE_COMPLETE" not in forged.reason and "SNS" not in forged.reason
    assert parameters(aws) == before
    # AND the twin: the same Delete while CloudFormation deletes that resource succeeds
    removed = function.send("Delete", PARAMETER, "Export", export, stack, physical_id=made.physical_id,
                            stack_status="UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
    assert removed.status == "SUCCESS", removed.reason
    assert "/victim/key-arn" not in parameters(aws)


def test_a_replacements_cleanup_deletes_the_old_replicas_and_a_forged_one_reaches_nothing(aws, function, stack):
    us = aws.client("kms", "us-east-1")
    old, new = create_primary_key(us, "old primary"), create_primary_key(us, "new primary")
    keys = {"PrimaryKeyArn": old["Arn"], "ReplicaRegions": ["eu-west-1"]}
    created = function.send("Create", REPLICA_KEY, "Keys", keys, stack)
    assert created.status == "SUCCESS", created.reason
    # A replacing Update: a new primary, a new PhysicalResourceId
    moved = {**keys, "PrimaryKeyArn": new["Arn"]}
    updated = function.send("Update", REPLICA_KEY, "Keys", moved, stack, old_properties=keys,
                            physical_id=old["Arn"])
    assert updated.status == "SUCCESS", updated.reason
    assert updated.physical_id == new["Arn"]
    current = {"Keys": {"type": REPLICA_KEY, "status": "UPDATE_COMPLETE", "physical_id": new["Arn"]}}

    # Forged: a Delete of the old id while the stack updates something else, and, in the cleanup, a Delete
    # whose id names the current key in another region (it would reach the current replica)
    aws.register_stack(stack.stack_id, "UPDATE_IN_PROGRESS", current)
    before = key_states(aws, "eu-west-1")
    early = function.send("Delete", REPLICA_KEY, "Keys", keys, stack, physical_id=old["Arn"], register=False)
    failed(early, NOT_OPERATING)
    aws.register_stack(stack.stack_id, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", current)
    same_key = new["Arn"].replace("us-east-1", "eu-west-1")
    reach = function.send("Delete", REPLICA_KEY, "Keys", moved, stack, physical_id=same_key, register=False)
    failed(reach, NOT_OPERATING)
    assert key_states(aws, "eu-west-1") == before

    # The real cleanup: the old id, in UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: the old replica goes, the new stays
    cleanup = function.send("Delete", REPLICA_KEY, "Keys", keys, stack, physical_id=old["Arn"], register=False)
    assert cleanup.status == "SUCCESS", cleanup.reason
    after = key_states(aws, "eu-west-1")
    assert after[old["KeyId"]] == "PendingDeletion"
    assert after[new["KeyId"]] == "Enabled"


def test_an_update_rollbacks_cleanup_deletes_what_the_failed_replacement_made(aws, function, stack):
    us = aws.client("kms", "us-east-1")
    old, new = create_primary_key(us, "kept primary"), create_primary_key(us, "failed update's primary")
    keys = {"PrimaryKeyArn": old["Arn"], "ReplicaRegions": ["eu-west-1"]}
    moved = {**keys, "PrimaryKeyArn": new["Arn"]}
    assert function.send("Create", REPLICA_KEY, "Keys", keys, stack).status == "SUCCESS"
    # The update replaces the primary, then another resource fails: the rollback's Update goes back
    replaced = function.send("Update", REPLICA_KEY, "Keys", moved, stack, old_properties=keys, physical_id=old["Arn"])
    assert replaced.status == "SUCCESS" and replaced.physical_id == new["Arn"], replaced.reason
    back = function.send("Update", REPLICA_KEY, "Keys", keys, stack, old_properties=moved, physical_id=new["Arn"],
                         stack_status="UPDATE_ROLLBACK_IN_PROGRESS")
    assert back.status == "SUCCESS" and back.physical_id == old["Arn"], back.reason
    # The rollback's cleanup deletes the failed update's id while the resource is the old one again
    aws.register_stack(stack.stack_id, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
                       {"Keys": {"type": REPLICA_KEY, "status": "UPDATE_COMPLETE", "physical_id": old["Arn"]}})
    cleanup = function.send("Delete", REPLICA_KEY, "Keys", moved, stack, physical_id=new["Arn"], register=False)
    assert cleanup.status == "SUCCESS", cleanup.reason
    after = key_states(aws, "eu-west-1")
    assert after[new["KeyId"]] == "PendingDeletion"
    assert after[old["KeyId"]] == "Enabled"


# ---- 6. nothing before the caller is verified ----

def test_a_forged_stack_makes_the_provider_assume_no_role(aws, function, stack):
    # GIVEN a stack at rest
    aws.register_stack(stack.stack_id, "CREATE_COMPLETE", {"Reader": {"type": READER, "status": "CREATE_COMPLETE"}})
    aws.clear_calls()
    # WHEN a read through a listed role claims to come from it
    read = {"Region": "eu-west-1", "Names": ["/x"], "RoleArn": "arn:aws:iam::222222222222:role/mrk-provider-target"}
    answer = function.send("Create", READER, "Reader", read, stack, register=False)
    # THEN it is refused, and no session named after the forged stack exists in the other account's trail
    failed(answer, NOT_OPERATING)
    assert aws.calls(service="sts") == []
    assert aws.calls(service="kms") == []


# ---- 1. aliases stay with their key's family ----

def test_adopt_existing_does_not_take_the_alias_of_another_primarys_replica(aws, function, stack):
    # GIVEN a hand-made replica, of a primary that never consented, holding alias/handmade in eu-west-1
    us, eu = aws.client("kms", "us-east-1"), aws.client("kms", "eu-west-1")
    lone = us.create_key(MultiRegion=True, Description="never consented")["KeyMetadata"]
    us.replicate_key(KeyId=lone["KeyId"], ReplicaRegion="eu-west-1")
    eu.create_alias(AliasName="alias/handmade", TargetKeyId=lone["KeyId"])
    mine = create_primary_key(us, "the caller's own, consenting primary")
    # WHEN a stack replicates its own primary with that Alias and AdoptExisting
    grab = {"PrimaryKeyArn": mine["Arn"], "ReplicaRegions": ["eu-west-1"], "Alias": "alias/handmade",
            "AdoptExisting": True}
    answer = function.send("Create", REPLICA_KEY, "Grab", grab, stack)
    # THEN the alias stays on the hand-made replica
    failed(answer, "a replica of another primary key")
    assert eu.describe_key(KeyId="alias/handmade")["KeyMetadata"]["KeyId"] == lone["KeyId"]


# ---- 2. CloudFormation's own tags name an owner ----

def test_a_parameter_a_live_stack_created_itself_is_not_adopted_and_one_of_a_deleted_stack_is(aws, function, stack):
    ssm = aws.client("ssm", "eu-west-1")
    for name, owner, status in (("/native/live", "live-native", "UPDATE_COMPLETE"),
                                ("/native/gone", "gone-native", "DELETE_COMPLETE")):
        owner_stack = Stack(owner)
        aws.register_stack(owner_stack.stack_id, status)
        ssm.put_parameter(Name=name, Value="native", Type="String", Overwrite=True)
        ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name,
                                 Tags=[{"Key": "aws:cloudformation:stack-id", "Value": owner_stack.stack_id}])
    before = parameters(aws)
    live = function.send("Create", PARAMETER, "TakeLive",
                         {"Regions": ["eu-west-1"], "Parameters": {"/native/live": "taken"}, "AdoptExisting": True}, stack)
    failed(live, "aws:cloudformation:stack-id", "which still exists")
    assert parameters(aws)["/native/live"] == before["/native/live"]
    gone = function.send("Create", PARAMETER, "TakeGone",
                         {"Regions": ["eu-west-1"], "Parameters": {"/native/gone": "taken"}, "AdoptExisting": True}, stack)
    assert gone.status == "SUCCESS", gone.reason
    assert ssm.get_parameter(Name="/native/gone")["Parameter"]["Value"] == "taken"


# ---- 7, 8, 9: what a template may not ask for ----

def test_a_look_alike_owner_tag_a_lockout_bypass_and_a_paid_tier_are_refused_before_any_call(aws, function, stack):
    us = aws.client("kms", "us-east-1")
    primary = create_primary_key(us, "consenting")
    before = (parameters(aws), key_states(aws, "eu-west-1"))
    aws.clear_calls()
    for resource_type, logical_id, properties, reason in (
        (PARAMETER, "LookAlike", {"Regions": ["eu-west-1"], "Parameters": {"/t/x": "v"},
                                  "Tags": [{"Key": "MRK-PROVIDER:stack", "Value": "arn:aws:cloudformation:x"}]},
         "uses a reserved prefix"),
        (PARAMETER, "AwsTag", {"Regions": ["eu-west-1"], "Parameters": {"/t/x": "v"},
                               "Tags": [{"Key": "Aws:cloudformation:stack-id", "Value": "x"}]},
         "uses a reserved prefix"),
        (REPLICA_KEY, "Lockout", {"PrimaryKeyArn": primary["Arn"], "ReplicaRegions": ["eu-west-1"],
                                  "BypassPolicyLockoutSafetyCheck": True,
                                  "KeyPolicy": json.dumps({"Version": "2012-10-17", "Statement": []})},
         "its AllowBypassPolicyLockoutSafetyCheck is false"),
        (PARAMETER, "Paid", {"Regions": ["eu-west-1"], "Parameters": {"/t/x": "v"}, "Tier": "Advanced"},
         "is not one of this provider's AllowedParameterTiers (Standard)"),
    ):
        answer = function.send("Create", resource_type, logical_id, properties, stack)
        failed(answer, reason)
    # Only the caller checks' CloudFormation reads were made: no KMS or SSM call, nothing changed
    assert {c["service"] for c in aws.calls()} <= {"cloudformation"}
    assert (parameters(aws), key_states(aws, "eu-west-1")) == before
    # The twin: a user tag of their own is written
    ok = function.send("Create", PARAMETER, "Tagged", {"Regions": ["eu-west-1"], "Parameters": {"/t/x": "v"},
                                                       "Tags": [{"Key": "team", "Value": "platform"}]}, stack)
    assert ok.status == "SUCCESS", ok.reason


# ---- 4. answers only to the response bucket of the function's own region ----

def test_a_look_alike_response_bucket_is_never_contacted(aws, function, stack):
    event = function.event("Create", PARAMETER, "Export", {"Regions": ["eu-west-1"], "Parameters": {"/b/x": "v"}},
                           stack)
    event["ResponseURL"] = ("https://cloudformation-custom-resource-response-uswest2.s3.amazonaws.com/"
                            "arn%3Aaws/x?X-Amz-Signature=secret")
    aws.clear_calls()
    answer = function.send("Create", "", "", {}, stack, raw=event, request_id=event["RequestId"])
    assert answer.result.kind == "error", answer.result
    assert "not CloudFormation's response bucket of us-east-1" in json.dumps(answer.result.body)
    assert aws.calls() == []
    assert "X-Amz-Signature=secret" not in function.logs()
