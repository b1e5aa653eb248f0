"""End-to-end: RoleArn through the real binary. The local AWS (moto) hands out AssumeRole credentials
that act in the role's account, so the parameters are checked there and in the function's own account
through the AWS API."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

WRITER, READER = "Custom::CrossRegionParameter", "Custom::CrossRegionParameterReader"
WORKLOAD = "222222222222"
ROLE = f"arn:aws:iam::{WORKLOAD}:role/mrk-provider-target"
UNLISTED_ROLE = f"arn:aws:iam::{WORKLOAD}:role/someone-elses-role"
FUNCTION_ENV = {
    "PARAMETER_PREFIX": "/app/",
    "ASSUMABLE_ROLE_ARNS": "arn:aws:iam::*:role/mrk-provider-target",
    "PROVIDER_ROLE_ARN": "arn:aws:iam::123456789012:role/mrk-provider-role",
}


@pytest.fixture(scope="module")
def workload(aws):
    """An SSM client factory for the workload account, through the same role (moto: the role's account)."""
    credentials = aws.client("sts").assume_role(RoleArn=ROLE, RoleSessionName="e2e-check")["Credentials"]

    def ssm(region: str):
        return boto3.session.Session().client(
            "ssm", region_name=region, endpoint_url=aws.endpoint, config=Config(proxies={}),
            aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"])
    return ssm


def value(ssm, name):
    try:
        return ssm.get_parameter(Name=name)["Parameter"]["Value"]
    except ClientError as err:
        if err.response["Error"]["Code"] == "ParameterNotFound":
            return None
        raise


def test_a_writer_with_a_role_writes_into_the_roles_account_and_deletes_there(aws, function, workload, stack):
    props = {"Regions": ["eu-west-1"], "Parameters": {"/app/xa-key-arn": "arn:1"}, "RoleArn": ROLE}
    created = function.send("Create", WRITER, "Push", props, stack)
    assert created.status == "SUCCESS", created.reason
    # in the workload account, owned by the calling stack; not in the function's own account
    assert value(workload("eu-west-1"), "/app/xa-key-arn") == "arn:1"
    tags = workload("eu-west-1").list_tags_for_resource(ResourceType="Parameter", ResourceId="/app/xa-key-arn")
    owner = {t["Key"]: t["Value"] for t in tags["TagList"]}
    assert owner["mrk-provider:stack"] == stack.stack_id and owner["mrk-provider:logical-id"] == "Push"
    assert value(aws.client("ssm", "eu-west-1"), "/app/xa-key-arn") is None

    # a reader in the function's account pulls it back from the workload account
    read = function.send("Create", READER, "Pull", {"Region": "eu-west-1", "Names": ["/app/xa-key-arn"],
                                                   "RoleArn": ROLE}, stack)
    assert read.status == "SUCCESS", read.reason
    assert read.data["Value"] == "arn:1"

    deleted = function.send("Delete", WRITER, "Push", props, stack, physical_id=created.physical_id)
    assert deleted.status == "SUCCESS", deleted.reason
    assert value(workload("eu-west-1"), "/app/xa-key-arn") is None


def test_an_update_that_drops_the_role_moves_the_parameters_home(aws, function, workload, stack):
    in_workload = {"Regions": ["eu-west-1"], "Parameters": {"/app/xa-moved": "v1"}, "RoleArn": ROLE}
    created = function.send("Create", WRITER, "Moved", in_workload, stack)
    assert created.status == "SUCCESS", created.reason
    at_home = {"Regions": ["eu-west-1"], "Parameters": {"/app/xa-moved": "v1"}}
    updated = function.send("Update", WRITER, "Moved", at_home, stack, physical_id=created.physical_id,
                            old_properties=in_workload)
    assert updated.status == "SUCCESS", updated.reason
    assert updated.physical_id == created.physical_id
    assert value(aws.client("ssm", "eu-west-1"), "/app/xa-moved") == "v1"
    assert value(workload("eu-west-1"), "/app/xa-moved") is None


def test_a_role_outside_assumable_role_arns_is_refused_and_nothing_is_written(aws, function, workload, stack):
    props = {"Regions": ["eu-west-1"], "Parameters": {"/app/xa-refused": "v"}, "RoleArn": UNLISTED_ROLE}
    answer = function.send("Create", WRITER, "Refused", props, stack)
    assert answer.status == "FAILED"
    assert "is not one of this provider's AssumableRoleArns" in answer.reason, answer.reason
    assert value(workload("eu-west-1"), "/app/xa-refused") is None
    assert value(aws.client("ssm", "eu-west-1"), "/app/xa-refused") is None
    assert aws.calls(service="ssm", operation="PutParameter") == []


def assume_role_calls(aws):
    return len(aws.calls(service="sts", operation="AssumeRole"))


def test_a_role_that_refuses_the_provider_fails_the_request_and_changes_nothing(aws, function, stack):
    aws.faults(service="sts", operations=["AssumeRole"], deny=1)  # moto does not check trust policies
    props = {"Regions": ["eu-west-1"], "Parameters": {"/app/xa-denied": "v"}, "RoleArn": ROLE}
    answer = function.send("Create", WRITER, "Denied", props, stack)
    assert answer.status == "FAILED"
    assert f"the role {ROLE} could not be assumed (AccessDenied" in answer.reason, answer.reason
    assert "allows sts:AssumeRole by arn:aws:iam::123456789012:role/mrk-provider-role" in answer.reason
    assert answer.physical_id.startswith("mrk-provider:failed-create:")
    assert aws.calls(service="ssm") == []


def test_a_warm_process_reuses_a_roles_credentials_until_they_near_expiry(aws, function, stack):
    props = {"Regions": ["eu-west-1"], "Parameters": {"/app/xa-reused": "v"}, "RoleArn": ROLE}
    for logical_id in ("First", "Second"):
        deleted = function.send("Delete", WRITER, logical_id, props, stack, physical_id=f"{stack.stack_id}/x")
        assert deleted.status == "SUCCESS", deleted.reason
    assert assume_role_calls(aws) == 1  # 15-minute credentials: the second request reuses them

    aws.clear_calls()
    aws.faults(service="sts", operations=["AssumeRole"], session_seconds=60)
    # another stack, so another session (its name is the session's: mrk-provider-short-sessions)
    short = type(stack)(name="short-sessions", region=stack.region)
    for logical_id in ("First", "Second"):
        deleted = function.send("Delete", WRITER, logical_id, props, short, physical_id=f"{short.stack_id}/x")
        assert deleted.status == "SUCCESS", deleted.reason
    assert assume_role_calls(aws) == 2  # a minute left is less than a request may last: assumed again


def test_a_hung_assume_role_is_answered_failed_before_the_deadline_naming_it(aws, function, stack):
    aws.faults(service="sts", operations=["AssumeRole"], hang=1, hang_seconds=20)
    props = {"Region": "eu-west-1", "Names": ["/app/xa-anything"], "RoleArn": ROLE}
    answer = function.send("Create", READER, "Hung", props, stack, deadline_in=4.0, timeout=30)
    assert answer.status == "FAILED"
    assert f"ran out of time during AssumeRole of {ROLE}" in answer.reason, answer.reason
    assert answer.answered_after < 4.0
