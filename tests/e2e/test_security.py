"""End-to-end security suite (docs/reference.md sections 2 and 7): attacks an invoker of the function could make, each an
event sequence sent to the real binary against the local AWS. Every attack must end FAILED with a reason
that says which check refused it, leave AWS exactly as it was (read back through the AWS API), and leave
no secret in the answer or in the function's logs.

The victim is a stack that made parameters and a replica key with the provider and is now at rest
(CREATE_COMPLETE); the attacker can invoke the function and owns a stack of its own, mid-operation."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from mrk_harness import ACCOUNT, Stack, create_primary_key

PREFIX = "/app/"
FUNCTION_ENV = {
    "ALLOWED_REGIONS": "us-east-1,eu-west-1",
    "PARAMETER_PREFIX": PREFIX,
    "DECRYPT_PREFIX": "/app/shared-secrets/",
}
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
PARAMETER = "Custom::CrossRegionParameter"
READER = "Custom::CrossRegionParameterReader"
REPLICA_KEY = "Custom::ReplicaKey"
# Secrets that must never reach an answer or a log line.
SECRET = "s3cr3t-" + uuid.uuid4().hex
SHARED_SECRET = "shared-s3cr3t-" + uuid.uuid4().hex
# The caller check's reason names its rule, never another stack's status or resource types.
NOT_OPERATING = "the provider acts only on a resource that CloudFormation shows"
GRAB_POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
                   "Action": "kms:*", "Resource": "*"}],
})


class World:
    """What the victim made, and how to read the whole AWS state back."""

    def __init__(self, aws: Any, function: Any) -> None:
        self.aws = aws
        self.function = function
        self.victim = Stack("victim")
        self.attacker = Stack("attacker")
        us = aws.client("kms", "us-east-1")
        self.primary = create_primary_key(us, "victim primary")
        self.other_primary = create_primary_key(us, "attacker's own primary")
        self.unconsenting = us.create_key(MultiRegion=True, Description="no consent")["KeyMetadata"]
        ssm = aws.client("ssm", "us-east-1")
        ssm.put_parameter(Name="/app/secret", Value=SECRET, Type="SecureString")
        ssm.put_parameter(Name="/app/shared-secrets/db", Value=SHARED_SECRET, Type="SecureString")
        self.export = {"Regions": ["eu-west-1"], "Parameters": {"/app/victim/key-arn": self.primary["Arn"]}}
        self.keys = {"PrimaryKeyArn": self.primary["Arn"], "ReplicaRegions": ["eu-west-1"], "Alias": "alias/victim"}
        made = [
            function.send("Create", PARAMETER, "VictimExport", self.export, self.victim),
            function.send("Create", REPLICA_KEY, "VictimKeys", self.keys, self.victim),
        ]
        assert [a.status for a in made] == ["SUCCESS", "SUCCESS"], [a.reason for a in made]
        self.export_id = made[0].physical_id
        self.replica_arn = made[1].data["Arn.eu-west-1"]
        # At rest, as CloudFormation shows a created stack: the stack and its resources complete.
        aws.register_stack(self.victim.stack_id, "CREATE_COMPLETE", {
            "VictimExport": {"type": PARAMETER, "status": "CREATE_COMPLETE", "physical_id": self.export_id},
            "VictimKeys": {"type": REPLICA_KEY, "status": "CREATE_COMPLETE", "physical_id": self.primary["Arn"]},
        })

    def snapshot(self) -> dict:
        """Every parameter (value, version, tags) and every key (state, description, policy, tags, aliases) of
        every region, read through the AWS API."""
        state: dict[str, Any] = {}
        for region in REGIONS:
            ssm, kms = self.aws.client("ssm", region), self.aws.client("kms", region)
            params = ssm.get_parameters_by_path(Path="/", Recursive=True, WithDecryption=True)["Parameters"]
            for p in params:
                tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=p["Name"])["TagList"]
                state[f"ssm:{region}:{p['Name']}"] = (p["Value"], p["Version"], sorted(map(str, tags)))
            for key in kms.list_keys()["Keys"]:
                meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
                policy = kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"]
                tags = kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]
                state[f"kms:{region}:{key['KeyId']}"] = (
                    meta["KeyState"], meta.get("Description"), policy, sorted(map(str, tags)))
            for alias in kms.list_aliases()["Aliases"]:
                state[f"alias:{region}:{alias['AliasName']}"] = alias.get("TargetKeyId")
        return state


@pytest.fixture(scope="module")
def world(aws, function) -> World:
    return World(aws, function)


def refused(world: World, answer: Any, before: dict, *reason_parts: str) -> None:
    """The attack failed with a reason naming the check, changed nothing, and leaked no secret."""
    assert answer.status == "FAILED", answer.body
    for part in reason_parts:
        assert part in answer.reason, answer.reason
    body = json.dumps(answer.body)
    assert SECRET not in body and SHARED_SECRET not in body, body
    assert world.snapshot() == before
    logs = world.function.logs()
    assert SECRET not in logs and SHARED_SECRET not in logs
    assert "X-Amz-Signature" not in logs


def forged(world: World, request_type: str, resource_type: str, logical_id: str, properties: dict,
           stack_id: str, physical_id: str | None = None, old: dict | None = None) -> Any:
    """An event the attacker builds by hand: nothing is registered with CloudFormation for it."""
    stack = Stack("forged")
    stack.stack_id = stack_id
    return world.function.send(request_type, resource_type, logical_id, properties, stack, old_properties=old,
                               physical_id=physical_id, register=False)


# ---- forged StackId: the victim's stack, at rest ----

def test_a_delete_naming_the_victims_stack_at_rest_deletes_no_parameter(world):
    before = world.snapshot()
    answer = forged(world, "Delete", PARAMETER, "VictimExport", world.export, world.victim.stack_id,
                    physical_id=world.export_id)
    refused(world, answer, before, "nothing was changed", "CloudFormation is not deleting the", NOT_OPERATING)


def test_a_delete_naming_the_victims_stack_at_rest_schedules_no_replica_deletion(world):
    before = world.snapshot()
    answer = forged(world, "Delete", REPLICA_KEY, "VictimKeys", world.keys, world.victim.stack_id,
                    physical_id=world.primary["Arn"])
    refused(world, answer, before, "CloudFormation is not deleting the", NOT_OPERATING)


def test_an_update_naming_the_victims_stack_at_rest_overwrites_no_value(world):
    before = world.snapshot()
    hijack = {"Regions": ["eu-west-1"], "Parameters": {"/app/victim/key-arn": world.other_primary["Arn"]}}
    answer = forged(world, "Update", PARAMETER, "VictimExport", hijack, world.victim.stack_id,
                    physical_id=world.export_id, old=world.export)
    refused(world, answer, before, NOT_OPERATING)


def test_a_replayed_create_of_a_completed_stack_changes_nothing(world):
    before = world.snapshot()
    replay = {"Regions": ["eu-west-1"], "Parameters": {"/app/victim/key-arn": "arn:aws:kms:attacker"}}
    answer = forged(world, "Create", PARAMETER, "VictimExport", replay, world.victim.stack_id)
    refused(world, answer, before, "CloudFormation is not creating the", NOT_OPERATING)


def test_a_reader_naming_a_stack_at_rest_gets_no_value(world):
    before = world.snapshot()
    answer = forged(world, "Create", READER, "VictimExport",
                    {"Region": "us-east-1", "Names": ["/app/shared-secrets/db"], "WithDecryption": True},
                    world.victim.stack_id)
    refused(world, answer, before, NOT_OPERATING)
    assert answer.data == {}


# ---- forged StackId: stacks that are not the caller's ----

def test_a_stack_that_does_not_exist_is_refused(world):
    before = world.snapshot()
    ghost = f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/ghost/{uuid.uuid4()}"
    answer = forged(world, "Delete", PARAMETER, "VictimExport", world.export, ghost, physical_id=world.export_id)
    refused(world, answer, before, f"CloudFormation is not deleting the Custom::CrossRegionParameter VictimExport of the stack {ghost}", NOT_OPERATING)


@pytest.mark.parametrize("stack_id, reason_parts", [
    (f"arn:aws:cloudformation:us-east-1:210987654321:stack/victim/{uuid.uuid4()}",
     ("is in account 210987654321", "its own account 123456789012")),
    (f"arn:aws:cloudformation:eu-west-1:{ACCOUNT}:stack/victim/{uuid.uuid4()}",
     ("is in eu-west-1", "this provider runs in us-east-1")),
], ids=["another-account", "another-region"])
def test_a_stack_of_another_account_or_region_is_refused_before_any_call(world, stack_id, reason_parts):
    before = world.snapshot()
    world.aws.clear_calls()
    answer = forged(world, "Create", PARAMETER, "Evil", world.export, stack_id)
    calls = world.aws.calls()
    refused(world, answer, before, *reason_parts)
    assert calls == []


def test_a_stack_id_that_is_a_name_is_refused(world):
    before = world.snapshot()
    answer = forged(world, "Delete", PARAMETER, "VictimExport", world.export, "victim", physical_id=world.export_id)
    refused(world, answer, before, "the StackId 'victim' is not the ARN of a CloudFormation stack")


def test_a_deleted_stack_is_refused(world):
    before = world.snapshot()
    gone = Stack("deleted")
    world.aws.register_stack(gone.stack_id, "DELETE_COMPLETE", {"VictimExport": {"type": PARAMETER, "status": "DELETE_COMPLETE"}})
    answer = forged(world, "Delete", PARAMETER, "VictimExport", world.export, gone.stack_id,
                    physical_id=world.export_id)
    refused(world, answer, before, "CloudFormation is not deleting the", NOT_OPERATING)


# ---- forged LogicalResourceId and ResourceType: the attacker's own stack, mid-operation ----

def test_a_logical_id_the_calling_stack_does_not_have_is_refused(world):
    before = world.snapshot()
    world.aws.register_stack(world.attacker.stack_id, "UPDATE_IN_PROGRESS", {"Mine": {"type": PARAMETER, "status": "UPDATE_IN_PROGRESS"}})
    answer = forged(world, "Delete", PARAMETER, "VictimExport", world.export, world.attacker.stack_id,
                    physical_id=world.export_id)
    refused(world, answer, before, "CloudFormation is not deleting the Custom::CrossRegionParameter VictimExport", NOT_OPERATING)


def test_a_logical_id_of_another_type_is_refused(world):
    before = world.snapshot()
    world.aws.register_stack(world.attacker.stack_id, "UPDATE_IN_PROGRESS", {"Mine": {"type": READER, "status": "UPDATE_IN_PROGRESS"}})
    hijack = {"Regions": ["eu-west-1"], "Parameters": {"/app/victim/key-arn": "x"}, "AdoptExisting": True}
    answer = forged(world, "Create", PARAMETER, "Mine", hijack, world.attacker.stack_id)
    refused(world, answer, before, "CloudFormation is not creating the", NOT_OPERATING)
    assert "Reader" not in answer.reason, answer.reason


def test_the_victims_stack_mid_operation_without_that_resource_is_refused(world):
    before = world.snapshot()
    world.aws.register_stack(world.victim.stack_id, "UPDATE_IN_PROGRESS")
    try:
        answer = forged(world, "Delete", PARAMETER, "NotThere", world.export, world.victim.stack_id,
                        physical_id=world.export_id)
    finally:
        world.aws.register_stack(world.victim.stack_id, "CREATE_COMPLETE")
    refused(world, answer, before, "CloudFormation is not deleting the Custom::CrossRegionParameter NotThere", NOT_OPERATING)


# ---- ownership cannot be taken ----

def test_adopt_existing_does_not_take_another_live_stacks_parameter(world):
    before = world.snapshot()
    hijack = {"Regions": ["eu-west-1"], "Parameters": {"/app/victim/key-arn": "arn:aws:kms:attacker"},
              "AdoptExisting": True}
    answer = world.function.send("Create", PARAMETER, "Grab", hijack, world.attacker)
    refused(world, answer, before, "was not adopted: it belongs to VictimExport in stack",
            world.victim.stack_id, "which still exists")


def test_adopt_existing_does_not_take_another_live_stacks_replica_or_its_policy(world):
    before = world.snapshot()
    grab = {**world.keys, "Alias": None, "AdoptExisting": True, "KeyPolicy": GRAB_POLICY}
    answer = world.function.send("Create", REPLICA_KEY, "GrabKeys", grab, world.attacker)
    refused(world, answer, before, "was not adopted: it belongs to VictimKeys in stack", "which still exists")


def test_an_alias_of_the_victims_replica_is_not_repointed(world):
    before = world.snapshot()
    own = {"PrimaryKeyArn": world.other_primary["Arn"], "ReplicaRegions": ["eu-west-1"], "Alias": "alias/victim",
           "AdoptExisting": True}
    answer = world.function.send("Create", REPLICA_KEY, "AliasGrab", own, world.attacker)
    assert answer.status == "FAILED", answer.body
    assert "the alias alias/victim in eu-west-1" in answer.reason, answer.reason
    assert "a replica of another primary key" in answer.reason, answer.reason
    eu = world.aws.client("kms", "eu-west-1")
    target = eu.describe_key(KeyId="alias/victim")["KeyMetadata"]["Arn"]
    assert target == world.replica_arn
    # The failed Create's rollback removes the attacker's own replica; then everything is as before.
    rollback = world.function.send("Delete", REPLICA_KEY, "AliasGrab", own, world.attacker,
                                   physical_id=answer.physical_id)
    assert rollback.status == "SUCCESS", rollback.reason
    after = world.snapshot()
    changed = {k for k in after if after[k] != before.get(k)}
    assert all(k.startswith("kms:eu-west-1:") for k in changed), changed
    assert all(after[k][0] == "PendingDeletion" for k in changed), changed


# ---- replication needs the key owner's consent ----

def test_a_primary_without_consent_is_not_replicated(world):
    before = world.snapshot()
    take = {"PrimaryKeyArn": world.unconsenting["Arn"], "ReplicaRegions": ["eu-west-1"]}
    answer = world.function.send("Create", REPLICA_KEY, "Take", take, world.attacker)
    refused(world, answer, before, "does not carry the tag mrk-provider:replicable = true")


def test_a_policy_grab_on_a_primary_without_consent_is_refused(world):
    before = world.snapshot()
    take = {"PrimaryKeyArn": world.unconsenting["Arn"], "ReplicaRegions": ["eu-west-1"], "KeyPolicy": GRAB_POLICY}
    answer = world.function.send("Create", REPLICA_KEY, "Grab", take, world.attacker)
    refused(world, answer, before, "its owner's consent")


# ---- decryption and exfiltration ----

def test_decrypting_outside_the_decrypt_prefix_is_refused_before_any_call(world):
    before = world.snapshot()
    world.aws.clear_calls()
    read = {"Region": "us-east-1", "Names": ["/app/secret"], "WithDecryption": True}
    answer = world.function.send("Create", READER, "Steal", read, world.attacker)
    calls = world.aws.calls(service="ssm")
    refused(world, answer, before, "'/app/secret' is outside this provider's DecryptPrefix")
    assert calls == []


def test_a_direct_invoke_in_provider_mode_from_a_stack_at_rest_gets_an_error_and_no_secret(world):
    before = world.snapshot()
    event = world.function.event("Create", READER, "VictimExport",
                                 {"Region": "us-east-1", "Names": ["/app/shared-secrets/db"], "WithDecryption": True},
                                 world.victim)
    # A ServiceToken that is not this function: the CDK Provider framework's mode, answered as the result.
    event["ServiceToken"] = event["ResourceProperties"]["ServiceToken"] = (
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:provider-framework-onEvent")
    answer = world.function.send("Create", "", "", {}, world.victim, raw=event, request_id=event["RequestId"])
    assert answer.puts == []
    assert answer.result.kind == "error", answer.result
    text = json.dumps(answer.result.body)
    assert NOT_OPERATING in text, text
    assert SHARED_SECRET not in text
    assert world.snapshot() == before
    assert SHARED_SECRET not in world.function.logs()


def test_writing_outside_the_allowed_regions_is_refused(world):
    before = world.snapshot()
    spread = {"Regions": ["ap-southeast-2"], "Parameters": {"/app/attacker/x": "v"}}
    answer = world.function.send("Create", PARAMETER, "Spread", spread, world.attacker)
    refused(world, answer, before, "'ap-southeast-2' is not one of this provider's AllowedRegions")


def test_writing_outside_the_parameter_prefix_is_refused(world):
    before = world.snapshot()
    escape = {"Regions": ["eu-west-1"], "Parameters": {"/prod/db-url": "attacker"}}
    answer = world.function.send("Create", PARAMETER, "Escape", escape, world.attacker)
    refused(world, answer, before, "/prod/db-url")


def test_the_victims_resources_still_work_after_the_attacks(world):
    """Nothing above broke the victim: its own stack, mid-deletion, deletes what it owns."""
    world.aws.register_stack(world.victim.stack_id, "DELETE_IN_PROGRESS")
    deleted = [
        world.function.send("Delete", REPLICA_KEY, "VictimKeys", world.keys, world.victim,
                            physical_id=world.primary["Arn"]),
        world.function.send("Delete", PARAMETER, "VictimExport", world.export, world.victim,
                            physical_id=world.export_id),
    ]
    assert [a.status for a in deleted] == ["SUCCESS", "SUCCESS"], [a.reason for a in deleted]
    eu_ssm = world.aws.client("ssm", "eu-west-1")
    assert eu_ssm.get_parameters(Names=["/app/victim/key-arn"])["InvalidParameters"] == ["/app/victim/key-arn"]
    replica = world.aws.client("kms", "eu-west-1").describe_key(KeyId=world.replica_arn)["KeyMetadata"]
    assert replica["KeyState"] == "PendingDeletion"
