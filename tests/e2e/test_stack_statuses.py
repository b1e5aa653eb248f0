"""End-to-end: the requests CloudFormation really sends, each under the stack status it arrives under
(the table of src/resources/caller.rs), pass the caller check and do their work; the same request from
the stack at rest is refused. One `Custom::CrossRegionParameter` goes through a stack's whole life."""

from __future__ import annotations

from mrk_harness import Stack

FUNCTION_ENV = {"ALLOWED_REGIONS": "us-east-1,eu-west-1", "PARAMETER_PREFIX": "/app/"}
PARAMETER = "Custom::CrossRegionParameter"


def value_in(aws, name: str) -> str | None:
    found = aws.client("ssm", "eu-west-1").get_parameters(Names=[name])["Parameters"]
    return found[0]["Value"] if found else None


def props(name: str, value: str) -> dict:
    return {"Regions": ["eu-west-1"], "Parameters": {name: value}}


def test_a_stacks_whole_life_passes_the_caller_check_in_every_status_it_goes_through(aws, function):
    stack = Stack("lifecycle")
    name = "/app/lifecycle/value"
    v1, v2, v3 = props(name, "v1"), props(name, "v2"), props(name, "v3")

    # Create of a new stack: CREATE_IN_PROGRESS
    created = function.send("Create", PARAMETER, "Export", v1, stack, stack_status="CREATE_IN_PROGRESS")
    assert created.status == "SUCCESS", created.reason
    physical_id = created.physical_id
    aws.register_stack(stack.stack_id, "CREATE_COMPLETE")

    # The same Create, replayed once the stack is at rest: refused, nothing written
    replay = function.send("Update", PARAMETER, "Export", v3, stack, old_properties=v1, physical_id=physical_id,
                           register=False)
    assert replay.status == "FAILED" and "CloudFormation is not updating the" in replay.reason, replay.reason
    assert value_in(aws, name) == "v1"

    # Update: UPDATE_IN_PROGRESS; then the Update back during the update's rollback
    updated = function.send("Update", PARAMETER, "Export", v2, stack, old_properties=v1, physical_id=physical_id)
    assert updated.status == "SUCCESS", updated.reason
    assert value_in(aws, name) == "v2"
    back = function.send("Update", PARAMETER, "Export", v1, stack, old_properties=v2, physical_id=physical_id,
                         stack_status="UPDATE_ROLLBACK_IN_PROGRESS")
    assert back.status == "SUCCESS", back.reason
    assert value_in(aws, name) == "v1"

    # A resource added by an update (UPDATE_IN_PROGRESS) that fails later, so the resource added is
    # deleted in the rollback's cleanup (UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS)
    added_name = "/app/lifecycle/added"
    added = function.send("Create", PARAMETER, "Added", props(added_name, "a"), stack,
                          stack_status="UPDATE_IN_PROGRESS")
    assert added.status == "SUCCESS", added.reason
    assert value_in(aws, added_name) == "a"
    cleanup = function.send("Delete", PARAMETER, "Added", props(added_name, "a"), stack, physical_id=added.physical_id,
                            stack_status="UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
    assert cleanup.status == "SUCCESS", cleanup.reason
    assert value_in(aws, added_name) is None

    # Removed from the template: deleted in the update's cleanup (UPDATE_COMPLETE_CLEANUP_IN_PROGRESS)
    removed = function.send("Delete", PARAMETER, "Export", v1, stack, physical_id=physical_id,
                            stack_status="UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
    assert removed.status == "SUCCESS", removed.reason
    assert value_in(aws, name) is None


def test_a_failed_stack_creation_rolls_back_and_a_stack_deletion_deletes(aws, function):
    stack = Stack("rolled-back")
    name = "/app/rolled-back/value"
    made = function.send("Create", PARAMETER, "Export", props(name, "v"), stack)
    assert made.status == "SUCCESS", made.reason

    # Another resource failed: CloudFormation deletes this one while the creation rolls back
    rollback = function.send("Delete", PARAMETER, "Export", props(name, "v"), stack, physical_id=made.physical_id,
                             stack_status="ROLLBACK_IN_PROGRESS")
    assert rollback.status == "SUCCESS", rollback.reason
    assert value_in(aws, name) is None

    # A stack deleted later: DELETE_IN_PROGRESS
    kept = Stack("deleted-later")
    made = function.send("Create", PARAMETER, "Export", props(name, "w"), kept)
    assert made.status == "SUCCESS", made.reason
    deleted = function.send("Delete", PARAMETER, "Export", props(name, "w"), kept, physical_id=made.physical_id)
    assert deleted.status == "SUCCESS", deleted.reason
    assert value_in(aws, name) is None


def test_a_nested_stack_is_checked_as_the_stack_it_is(aws, function):
    # A nested stack has its own StackId and status, named after its parent; its requests name it.
    nested = Stack("app-Network-1ABCDEF2GHIJ3")
    name = "/app/nested/value"
    made = function.send("Create", PARAMETER, "Export", props(name, "n"), nested, stack_status="CREATE_IN_PROGRESS")
    assert made.status == "SUCCESS", made.reason
    # The parent's status does not count: the nested stack itself at rest is refused.
    aws.register_stack(nested.stack_id, "CREATE_COMPLETE")
    parent = Stack("app")
    aws.register_stack(parent.stack_id, "UPDATE_IN_PROGRESS")
    replay = function.send("Delete", PARAMETER, "Export", props(name, "n"), nested, physical_id=made.physical_id,
                           register=False)
    assert replay.status == "FAILED" and "CloudFormation is not deleting the" in replay.reason, replay.reason
    assert value_in(aws, name) == "n"


def test_a_resource_cloudformation_shows_late_is_waited_for(aws, function):
    stack = Stack("late-resource")
    name = "/app/late/value"
    aws.register_stack(stack.stack_id, "CREATE_IN_PROGRESS",
                       {"Export": {"type": PARAMETER, "status": "CREATE_IN_PROGRESS", "visible_after_seconds": 1.0}})
    made = function.send("Create", PARAMETER, "Export", props(name, "late"), stack, register=False)
    assert made.status == "SUCCESS", made.reason
    assert made.seconds >= 1.0
    assert value_in(aws, name) == "late"
    asked = aws.calls(service="cloudformation", operation="DescribeStackResource")
    assert len(asked) >= 2, asked
