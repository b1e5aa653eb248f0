"""Tests of the local AWS's CloudFormation (mrk_harness.localaws.cloudformation): DescribeStacks and
DescribeStackResource answered from stacks registered through the control API, its faults and call log,
and the harness's registration before each event.

Run: .venv/bin/python -m pytest tests/harness/tests/test_localaws_cloudformation.py -q (after `make .venv/.installed`;
only the last test starts the function, from $MRK_BOOTSTRAP or the debug build)
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ElementTree

import botocore.exceptions
import botocore.session
import pytest
from botocore.config import Config

from mrk_harness import ACCOUNT, Stack
from mrk_harness.localaws import LocalAwsError
from mrk_harness.localaws import cloudformation

REGION = "us-east-1"
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})
CUSTOM = "Custom::ReplicaKey"
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(autouse=True)
def no_stacks(aws):
    aws.clear_stacks()
    yield
    aws.clear_stacks()


def cfn(aws, region=REGION, config=NO_RETRY):
    return aws.client("cloudformation", region, config=config)


def stack_arn(name: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:cloudformation:{region}:{account}:stack/{name}/{uuid.uuid4()}"


def in_progress(resource_type: str = CUSTOM, status: str = "CREATE_IN_PROGRESS", **extra) -> dict:
    return {"type": resource_type, "status": status, **extra}


def error_of(call, **kwargs) -> tuple[int, str, str]:
    """(HTTP status, code, message) of a call that must fail."""
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        call(**kwargs)
    response = excinfo.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def query(aws, params: dict[str, str], region: str = REGION, service: str = "cloudformation"):
    """A query-protocol POST as the Rust SDK sends it (the local AWS reads the credential scope, not the
    signature): (HTTP status, headers, body)."""
    body = urllib.parse.urlencode({**params, "Version": "2010-05-15"}).encode()
    req = urllib.request.Request(aws.endpoint + "/", data=body, method="POST")
    req.add_header("Content-Type", "application/x-www-form-urlencoded")
    req.add_header("Authorization", f"AWS4-HMAC-SHA256 Credential=testing/20260101/{region}/{service}/aws4_request, "
                                    "SignedHeaders=host;x-amz-date, Signature=0")
    try:
        with OPENER.open(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def control(aws, method: str, path: str, payload=None) -> tuple[int, dict]:
    data = None if payload is None else json.dumps(payload).encode()
    req = urllib.request.Request(aws.endpoint + "/_localaws" + path, data=data, method=method)
    try:
        with OPENER.open(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


NS = "{" + cloudformation.NAMESPACE + "}"


def children(element) -> list[str]:
    return [child.tag.removeprefix(NS) for child in element]


# ------------------------------------------------------------------------------------ answers


def test_a_registered_stack_and_resource_are_answered_in_their_status(aws):
    arn = stack_arn("app-keys")
    registered = aws.register_stack(arn, "CREATE_IN_PROGRESS", {"Keys": in_progress()})
    assert (registered["stack_name"], registered["region"], registered["account"]) == ("app-keys", REGION, ACCOUNT)
    for name in (arn, "app-keys"):
        [stack] = cfn(aws).describe_stacks(StackName=name)["Stacks"]
        assert (stack["StackId"], stack["StackName"], stack["StackStatus"]) == (arn, "app-keys", "CREATE_IN_PROGRESS")
        assert abs(stack["CreationTime"].timestamp() - registered["creation_time"]) < 0.002
        detail = cfn(aws).describe_stack_resource(StackName=name, LogicalResourceId="Keys")["StackResourceDetail"]
        assert detail["StackId"] == arn and detail["StackName"] == "app-keys"
        assert (detail["LogicalResourceId"], detail["ResourceType"], detail["ResourceStatus"]) == (
            "Keys", CUSTOM, "CREATE_IN_PROGRESS")
        assert "PhysicalResourceId" not in detail  # CloudFormation has none until the Create is answered

    # an upsert: the stack's new status, a resource's new entry, another resource added
    aws.register_stack(arn, "UPDATE_ROLLBACK_IN_PROGRESS", {
        "Keys": in_progress(status="UPDATE_IN_PROGRESS", physical_id="arn:aws:kms:us-east-1:123456789012:key/mrk-1"),
        "Export": in_progress("Custom::CrossRegionParameter", "CREATE_COMPLETE", physical_id="export-1")})
    assert cfn(aws).describe_stacks(StackName=arn)["Stacks"][0]["StackStatus"] == "UPDATE_ROLLBACK_IN_PROGRESS"
    detail = cfn(aws).describe_stack_resource(StackName=arn, LogicalResourceId="Keys")["StackResourceDetail"]
    assert (detail["ResourceStatus"], detail["PhysicalResourceId"]) == (
        "UPDATE_IN_PROGRESS", "arn:aws:kms:us-east-1:123456789012:key/mrk-1")
    assert cfn(aws).describe_stack_resource(StackName=arn, LogicalResourceId="Export")["StackResourceDetail"][
        "ResourceType"] == "Custom::CrossRegionParameter"

    # a status alone keeps the resources; a null resource removes it
    aws.register_stack(arn, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
    aws.register_stack(arn, resources={"Export": None})
    [listed] = aws.stacks()
    assert listed["status"] == "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS" and list(listed["resources"]) == ["Keys"]
    assert error_of(cfn(aws).describe_stack_resource, StackName=arn, LogicalResourceId="Export")[1:] == (
        "ValidationError", "Resource Export does not exist for stack app-keys")


def test_the_xml_is_what_the_rust_sdk_reads(aws):
    """The Rust SDK's awsQuery parser wants the Response root, the Result as its first child, and in an
    error the ErrorResponse's Error/Code and Message; the request id header matches the body's."""
    arn = stack_arn("xml-check")
    aws.register_stack(arn, "DELETE_IN_PROGRESS", {"Keys": in_progress(status="DELETE_IN_PROGRESS",
                                                                       physical_id="a&b<c>")})
    status, headers, body = query(aws, {"Action": "DescribeStacks", "StackName": arn})
    assert status == 200 and headers["Content-Type"] == "text/xml"
    root = ElementTree.fromstring(body)
    assert root.tag == NS + "DescribeStacksResponse"
    assert children(root) == ["DescribeStacksResult", "ResponseMetadata"]
    [member] = root.find(f"{NS}DescribeStacksResult/{NS}Stacks")
    assert children(member) == ["StackName", "StackId", "CreationTime", "StackStatus"]
    assert member.find(NS + "CreationTime").text.endswith("Z")
    assert root.find(f"{NS}ResponseMetadata/{NS}RequestId").text == headers["x-amzn-RequestId"]

    status, _, body = query(aws, {"Action": "DescribeStackResource", "StackName": arn, "LogicalResourceId": "Keys"})
    root = ElementTree.fromstring(body)
    assert status == 200 and root.tag == NS + "DescribeStackResourceResponse"
    detail = root.find(f"{NS}DescribeStackResourceResult/{NS}StackResourceDetail")
    assert children(detail) == ["StackName", "StackId", "LogicalResourceId", "PhysicalResourceId", "ResourceType",
                                "LastUpdatedTimestamp", "ResourceStatus"]
    assert detail.find(NS + "PhysicalResourceId").text == "a&b<c>"  # escaped in the XML, read back as it was

    status, headers, body = query(aws, {"Action": "DescribeStacks", "StackName": "missing"})
    root = ElementTree.fromstring(body)
    assert status == 400 and root.tag == NS + "ErrorResponse"
    assert children(root) == ["Error", "RequestId"]
    assert children(root.find(NS + "Error")) == ["Type", "Code", "Message"]
    assert [root.find(f"{NS}Error/{NS}{tag}").text for tag in ("Type", "Code", "Message")] == [
        "Sender", "ValidationError", "Stack with id missing does not exist"]
    assert root.find(NS + "RequestId").text == headers["x-amzn-RequestId"]


def test_by_name_only_in_the_request_region_and_by_arn_only_there_too(aws):
    home = stack_arn("consumer", "eu-west-1")
    aws.register_stack(home, "CREATE_IN_PROGRESS", {"Reader": in_progress("Custom::CrossRegionParameterReader")})
    assert cfn(aws, "eu-west-1").describe_stacks(StackName="consumer")["Stacks"][0]["StackId"] == home
    # the same name or ARN asked in another region names no stack there
    assert error_of(cfn(aws).describe_stacks, StackName="consumer")[1:] == (
        "ValidationError", "Stack with id consumer does not exist")
    assert error_of(cfn(aws).describe_stacks, StackName=home)[1:] == (
        "ValidationError", f"Stack with id {home} does not exist")
    assert error_of(cfn(aws).describe_stack_resource, StackName=home, LogicalResourceId="Reader")[1:] == (
        "ValidationError", f"Stack '{home}' does not exist")
    # an ARN is looked up as a whole: the right name with another stack id is another stack
    other_id = home.rsplit("/", 1)[0] + f"/{uuid.uuid4()}"
    assert error_of(cfn(aws, "eu-west-1").describe_stacks, StackName=other_id)[2] == (
        f"Stack with id {other_id} does not exist")


def test_a_deleted_stack_is_found_by_arn_only_and_its_name_can_be_reused(aws):
    old = stack_arn("owner")
    aws.register_stack(old, "CREATE_COMPLETE", {"Keys": in_progress(status="CREATE_COMPLETE")})
    # while it lives, no other stack may take its name
    with pytest.raises(LocalAwsError, match="already registered"):
        aws.register_stack(stack_arn("owner"), "CREATE_IN_PROGRESS")
    aws.register_stack(old, "DELETE_COMPLETE", {"Keys": in_progress(status="DELETE_COMPLETE")})
    assert cfn(aws).describe_stacks(StackName=old)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    assert cfn(aws).describe_stack_resource(StackName=old, LogicalResourceId="Keys")["StackResourceDetail"][
        "ResourceStatus"] == "DELETE_COMPLETE"
    assert error_of(cfn(aws).describe_stacks, StackName="owner")[1:] == (
        "ValidationError", "Stack with id owner does not exist")
    assert error_of(cfn(aws).describe_stack_resource, StackName="owner", LogicalResourceId="Keys")[2] == (
        "Stack 'owner' does not exist")

    new = stack_arn("owner")
    aws.register_stack(new, "CREATE_IN_PROGRESS")
    assert cfn(aws).describe_stacks(StackName="owner")["Stacks"][0]["StackId"] == new
    assert cfn(aws).describe_stacks(StackName=old)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    # the old one cannot come back to life under the name the new one has
    with pytest.raises(LocalAwsError, match="already registered"):
        aws.register_stack(old, "UPDATE_IN_PROGRESS")
    # without a name, the live stacks of the region
    assert [s["StackId"] for s in cfn(aws).describe_stacks()["Stacks"]] == [new]


def test_unknown_stacks_and_resources_are_validation_errors_worded_as_aws_words_them(aws):
    unknown = stack_arn("never-registered")
    assert error_of(cfn(aws).describe_stacks, StackName="never-registered") == (
        400, "ValidationError", "Stack with id never-registered does not exist")
    assert error_of(cfn(aws).describe_stacks, StackName=unknown) == (
        400, "ValidationError", f"Stack with id {unknown} does not exist")
    assert error_of(cfn(aws).describe_stack_resource, StackName="never-registered", LogicalResourceId="Keys") == (
        400, "ValidationError", "Stack 'never-registered' does not exist")
    arn = stack_arn("known")
    aws.register_stack(arn, "UPDATE_IN_PROGRESS", {"Keys": in_progress(status="UPDATE_IN_PROGRESS")})
    # the message names the stack by its name, however the request named it
    for name in ("known", arn):
        assert error_of(cfn(aws).describe_stack_resource, StackName=name, LogicalResourceId="Other") == (
            400, "ValidationError", "Resource Other does not exist for stack known")


def test_a_stack_of_another_account_does_not_exist_for_this_one(aws):
    foreign = stack_arn("shared-name", account="210987654321")
    aws.register_stack(foreign, "CREATE_IN_PROGRESS", {"Keys": in_progress()})
    assert aws.stacks()[0]["account"] == "210987654321"
    assert error_of(cfn(aws).describe_stacks, StackName=foreign)[2] == f"Stack with id {foreign} does not exist"
    assert error_of(cfn(aws).describe_stacks, StackName="shared-name")[2] == (
        "Stack with id shared-name does not exist")
    assert error_of(cfn(aws).describe_stack_resource, StackName=foreign, LogicalResourceId="Keys")[2] == (
        f"Stack '{foreign}' does not exist")
    # the same name in this account is another stack
    ours = stack_arn("shared-name")
    aws.register_stack(ours, "CREATE_IN_PROGRESS")
    assert cfn(aws).describe_stacks(StackName="shared-name")["Stacks"][0]["StackId"] == ours


def test_a_resource_can_appear_after_a_lag(aws):
    arn = stack_arn("lagging")
    aws.register_stack(arn, "CREATE_IN_PROGRESS", {"Keys": in_progress(visible_after_seconds=0.8)})
    started = time.monotonic()
    assert error_of(cfn(aws).describe_stack_resource, StackName=arn, LogicalResourceId="Keys")[2] == (
        "Resource Keys does not exist for stack lagging")
    assert cfn(aws).describe_stacks(StackName=arn)["Stacks"][0]["StackStatus"] == "CREATE_IN_PROGRESS"
    time.sleep(max(0.0, 0.85 - (time.monotonic() - started)))
    detail = cfn(aws).describe_stack_resource(StackName=arn, LogicalResourceId="Keys")["StackResourceDetail"]
    assert detail["ResourceStatus"] == "CREATE_IN_PROGRESS"
    assert aws.stacks()[0]["resources"]["Keys"]["visible_after_seconds"] == 0.8


def test_other_actions_and_missing_parameters_are_refused(aws):
    assert error_of(cfn(aws).list_stacks) == (
        400, "InvalidAction", "the local AWS does not emulate CloudFormation's ListStacks: only DescribeStacks and "
                              "DescribeStackResource")
    status, _, body = query(aws, {"Action": "DescribeStackResource", "StackName": "x"})
    assert status == 400
    assert b"<Code>ValidationError</Code>" in body
    assert b"Value null at 'logicalResourceId' failed to satisfy constraint: Member must not be null" in body
    assert aws.calls(service="cloudformation", operation="ListStacks")[0]["status"] == 400


# ------------------------------------------------------------------------------ faults and calls


def test_throttling_is_awsquery_throttling_and_the_sdk_retries_it(aws):
    arn = stack_arn("throttled")
    aws.register_stack(arn, "CREATE_IN_PROGRESS", {"Keys": in_progress()})
    aws.faults(service="cloudformation", operations=["DescribeStackResource"], throttle=2)
    cfn(aws).describe_stacks(StackName=arn)  # another operation: not throttled
    retrying = cfn(aws, config=Config(retries={"total_max_attempts": 5, "mode": "standard"}))
    assert retrying.describe_stack_resource(StackName=arn, LogicalResourceId="Keys")["StackResourceDetail"]
    calls = aws.calls(service="cloudformation")
    assert [(c["region"], c["operation"], c["fault"], c["status"]) for c in calls] == [
        (REGION, "DescribeStacks", None, 200),
        (REGION, "DescribeStackResource", "throttle", 400),
        (REGION, "DescribeStackResource", "throttle", 400),
        (REGION, "DescribeStackResource", None, 200),
    ]
    aws.faults(service="cloudformation", throttle=1)
    assert error_of(cfn(aws).describe_stacks, StackName=arn) == (400, "Throttling", "Rate exceeded")
    status, _, body = query(aws, {"Action": "DescribeStacks", "StackName": arn}, region="eu-west-1")
    assert status == 400 and b"Stack with id" in body  # the budget was used up, and the region is not ours

    aws.faults(service="cloudformation", regions=["eu-west-1"], throttle=5)
    cfn(aws).describe_stacks(StackName=arn)  # us-east-1: not matched


def test_an_injected_5xx_is_an_internal_failure(aws):
    arn = stack_arn("failing")
    aws.register_stack(arn, "CREATE_IN_PROGRESS")
    aws.faults(service="cloudformation", error_5xx=1)
    status, _, body = query(aws, {"Action": "DescribeStacks", "StackName": arn})
    root = ElementTree.fromstring(body)
    assert status == 500
    assert [root.find(f"{NS}Error/{NS}{tag}").text for tag in ("Type", "Code")] == ["Receiver", "InternalFailure"]
    aws.faults(service="cloudformation", error_5xx=1, error_code="ServiceUnavailable", status=503)
    assert error_of(cfn(aws).describe_stacks, StackName=arn)[:2] == (503, "ServiceUnavailable")
    assert cfn(aws).describe_stacks(StackName=arn)["Stacks"]


def test_cloudformation_calls_never_reach_moto_and_control_calls_are_not_logged(aws):
    aws.clear_calls()
    arn = stack_arn("app")
    aws.register_stack(arn, "CREATE_IN_PROGRESS")
    aws.stacks()
    assert aws.calls() == []
    # moto's own CloudFormation would know nothing of it, and would deploy a template: not here
    assert error_of(cfn(aws).create_stack, StackName="deployed", TemplateBody="{}")[1] == "InvalidAction"
    assert [c["operation"] for c in aws.calls()] == ["CreateStack"]


# ---------------------------------------------------------------------------------- control API


BAD_STACKS = [
    ("not an object", ["stack"], "must be a JSON object"),
    ("unknown key", {"stack_id": stack_arn("x"), "status": "CREATE_IN_PROGRESS", "tags": {}}, "unknown stack keys"),
    ("no stack id", {"status": "CREATE_IN_PROGRESS"}, "'stack_id' must be a stack ARN"),
    ("not a stack arn", {"stack_id": "arn:aws:s3:::bucket", "status": "CREATE_IN_PROGRESS"}, "must be a stack ARN"),
    ("a name CloudFormation refuses", {"stack_id": stack_arn("x").replace("/x/", "/bad_name[1]/"),
                                       "status": "CREATE_IN_PROGRESS"}, "must be a stack ARN"),
    ("no status for a new stack", {"stack_id": stack_arn("x")}, "'status' is required for a new stack"),
    ("a status that is not one", {"stack_id": stack_arn("x"), "status": "CREATING"}, "is not a CloudFormation stack"),
    ("resources not an object", {"stack_id": stack_arn("x"), "status": "CREATE_IN_PROGRESS", "resources": []},
     "'resources' must be a JSON object"),
    ("a logical id with a dash", {"stack_id": stack_arn("x"), "status": "CREATE_IN_PROGRESS",
                                  "resources": {"My-Keys": in_progress()}}, "is not alphanumeric"),
    ("no type", {"stack_id": stack_arn("x"), "status": "CREATE_IN_PROGRESS",
                 "resources": {"Keys": {"status": "CREATE_IN_PROGRESS"}}}, "needs a 'type'"),
    ("a resource status that is not one", {"stack_id": stack_arn("x"), "status": "CREATE_IN_PROGRESS",
                                           "resources": {"Keys": in_progress(status="PENDING")}}, "needs a 'status'"),
    ("an unknown resource key", {"stack_id": stack_arn("x"), "status": "CREATE_IN_PROGRESS",
                                 "resources": {"Keys": in_progress(properties={})}}, "unknown keys of resource Keys"),
    ("an empty physical id", {"stack_id": stack_arn("x"), "status": "CREATE_IN_PROGRESS",
                              "resources": {"Keys": in_progress(physical_id="")}}, "'physical_id' of resource Keys"),
    ("a negative lag", {"stack_id": stack_arn("x"), "status": "CREATE_IN_PROGRESS",
                        "resources": {"Keys": in_progress(visible_after_seconds=-1)}}, "'visible_after_seconds'"),
    ("a lag that is not a number", {"stack_id": stack_arn("x"), "status": "CREATE_IN_PROGRESS",
                                    "resources": {"Keys": in_progress(visible_after_seconds="1")}},
     "'visible_after_seconds'"),
]


@pytest.mark.parametrize("case,body,expected", BAD_STACKS, ids=[c[0] for c in BAD_STACKS])
def test_the_control_api_refuses_a_stack_it_cannot_answer_for(aws, case, body, expected):
    status, answer = control(aws, "POST", "/stacks", body)
    assert status == 400 and expected in answer["error"], answer
    assert aws.stacks() == [], "nothing of a refused body is kept"


def test_a_refused_upsert_changes_nothing(aws):
    arn = stack_arn("kept")
    aws.register_stack(arn, "CREATE_IN_PROGRESS", {"Keys": in_progress()})
    before = aws.stacks()
    with pytest.raises(LocalAwsError, match="HTTP 400"):
        aws.register_stack(arn, "UPDATE_IN_PROGRESS", {"Other": in_progress(), "Keys": {"type": CUSTOM}})
    assert aws.stacks() == before


def test_the_control_api_over_plain_http_and_reset(aws):
    arn = stack_arn("plain")
    status, answer = control(aws, "POST", "/stacks", {"stack_id": arn, "status": "CREATE_IN_PROGRESS",
                                                      "resources": {"Keys": in_progress()}})
    assert status == 200 and answer["stack"]["stack_id"] == arn
    assert answer["stack"]["resources"]["Keys"]["physical_id"] is None
    assert control(aws, "GET", "/stacks")[1]["stacks"] == [answer["stack"]]
    assert control(aws, "POST", "/stacks/clear", {}) == (200, {"stacks": []})
    assert control(aws, "GET", "/stacks")[1] == {"stacks": []}
    control(aws, "POST", "/stacks", {"stack_id": arn, "status": "CREATE_IN_PROGRESS"})
    assert control(aws, "DELETE", "/stacks") == (200, {"stacks": []})

    aws.register_stack(arn, "CREATE_IN_PROGRESS")
    aws.reset()
    assert aws.stacks() == []
    assert error_of(cfn(aws).describe_stacks, StackName=arn)[1] == "ValidationError"


def test_the_status_lists_are_cloudformations_enums():
    model = botocore.session.get_session().get_service_model("cloudformation")
    assert cloudformation.STACK_STATUSES == set(model.shape_for("StackStatus").enum)
    assert cloudformation.RESOURCE_STATUSES == set(model.shape_for("ResourceStatus").enum)
    assert model.metadata["xmlNamespace"] == cloudformation.NAMESPACE


# -------------------------------------------------------------------------- harness registration


def test_function_send_registers_the_stack_and_the_resource_before_the_event(aws, function):
    stack = Stack("registered", "eu-west-1")

    def registered() -> dict:
        [entry] = [s for s in aws.stacks() if s["stack_id"] == stack.stack_id]
        return entry

    # a resource type the function refuses at once: the test is about what the local AWS was told
    function.send("Create", "Custom::Nope", "Thing", {}, stack)
    thing = registered()["resources"]["Thing"]
    assert registered()["status"] == "CREATE_IN_PROGRESS"
    assert (thing["type"], thing["status"], thing["physical_id"]) == ("Custom::Nope", "CREATE_IN_PROGRESS", None)
    function.send("Update", "Custom::Nope", "Thing", {}, stack, physical_id="thing-1", old_properties={},
                  stack_status="UPDATE_ROLLBACK_IN_PROGRESS")
    assert registered()["status"] == "UPDATE_ROLLBACK_IN_PROGRESS"
    assert (registered()["resources"]["Thing"]["status"], registered()["resources"]["Thing"]["physical_id"]) == (
        "UPDATE_IN_PROGRESS", "thing-1")
    function.send("Delete", "Custom::Nope", "Thing", {}, stack, physical_id="thing-1")
    assert registered()["status"] == "DELETE_IN_PROGRESS"
    assert registered()["resources"]["Thing"]["status"] == "DELETE_IN_PROGRESS"

    # not registered: with register=False, or a raw event
    function.send("Create", "Custom::Nope", "Other", {}, stack, register=False)
    event = function.event("Create", "Custom::Nope", "Raw", {}, stack, request_id="raw-request")
    function.send("Create", "Custom::Nope", "Raw", {}, stack, raw=event, request_id="raw-request")
    assert registered()["status"] == "DELETE_IN_PROGRESS"
    assert list(registered()["resources"]) == ["Thing"]
    with pytest.raises(ValueError, match="no CloudFormation status for a 'Upsert' request"):
        function.send("Upsert", "Custom::Nope", "Thing", {}, stack)
