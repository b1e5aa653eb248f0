"""End-to-end: what an operator sees of the real binary. One EMF metric line a request when
METRICS_NAMESPACE is set (its AwsCalls are the calls the local AWS saw), none when it is not; log lines
with a timestamp and the request id, in Lambda's JSON and Text formats; and a FAILED Reason that ends with
where the logs are."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from mrk_harness import Function, Stack, create_primary_key

NAMESPACE = "MrkProvider/E2E"
FUNCTION_ENV = {"PARAMETER_PREFIX": "/ops/", "METRICS_NAMESPACE": NAMESPACE}
READER = "Custom::CrossRegionParameterReader"
# What the harness gives the function as Lambda does (AWS_LAMBDA_LOG_GROUP_NAME, the log stream).
POINTER = "See the details in CloudWatch Logs, log group /aws/lambda/mrk-provider, log stream 2026/11/22/[$LATEST]e2e"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")


@pytest.fixture(scope="module")
def text_function(aws, tmp_path_factory):
    """The function with Lambda's Text log format and no metrics namespace."""
    env = {"PARAMETER_PREFIX": "/ops/", "AWS_LAMBDA_LOG_FORMAT": "Text", "LOG_LEVEL": ""}
    fn = Function(aws.endpoint, tmp_path_factory.mktemp("logs-text") / "function.log", env=env)
    yield fn
    fn.close()


def json_lines(logs: str) -> list[dict]:
    found = []
    for line in logs.splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            found.append(value)
    return found


def metric_lines(logs: str, request_id: str) -> list[dict]:
    return [line for line in json_lines(logs) if "_aws" in line and line.get("RequestId") == request_id]


def read(function: Function, names: list[str], stack: Stack, request_id: str):
    return function.send("Create", READER, "Reader", {"Region": "us-east-1", "Names": names}, stack,
                         request_id=request_id)


def test_a_request_prints_one_emf_line_whose_aws_calls_are_the_calls_aws_saw(aws, function, stack):
    # GIVEN a parameter, and SSM throttling the next GetParameters once
    aws.client("ssm", "us-east-1").put_parameter(Name="/ops/metric", Value="v", Type="String", Overwrite=True)
    aws.clear_calls()
    aws.faults(service="ssm", operations=["GetParameters"], throttle=1)
    request_id = str(uuid.uuid4())

    # WHEN a reader reads it
    answer = read(function, ["/ops/metric"], stack, request_id)
    assert answer.status == "SUCCESS", answer.reason

    # THEN one EMF line names the request, valid as CloudWatch reads it
    lines = metric_lines(function.logs(), request_id)
    assert len(lines) == 1, lines
    emf = lines[0]
    directive = emf["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == NAMESPACE
    assert directive["Dimensions"] == [["ResourceType", "RequestType", "Outcome"]]
    assert isinstance(emf["_aws"]["Timestamp"], int)
    for metric in directive["Metrics"]:
        assert isinstance(emf[metric["Name"]], (int, float)), metric
    assert {m["Name"] for m in directive["Metrics"]} == {"Duration", "AwsCalls", "ThrottledCalls", "RetriedCalls"}
    assert (emf["ResourceType"], emf["RequestType"], emf["Outcome"]) == (READER, "Create", "SUCCESS")
    assert emf["LogicalResourceId"] == "Reader"
    # AND its counts are what the local AWS saw: every call (CloudFormation's caller check too), the
    # throttled GetParameters, and its retry
    calls = aws.calls()
    assert emf["AwsCalls"] == len(calls), calls
    assert emf["ThrottledCalls"] == 1
    assert emf["RetriedCalls"] == 1
    assert len(aws.calls(service="ssm", operation="GetParameters")) == 2
    assert emf["Duration"] >= 0


def test_a_replica_key_line_reports_the_wait_for_its_replica(aws, function, stack):
    # GIVEN a primary key, whose replica the local AWS keeps Creating for a while (conftest)
    arn = create_primary_key(aws.client("kms", "us-east-1"), "metrics key")["Arn"]
    aws.clear_calls()
    request_id = str(uuid.uuid4())
    # WHEN it is replicated into one region
    answer = function.send("Create", "Custom::ReplicaKey", "Replicas",
                           {"PrimaryKeyArn": arn, "ReplicaRegions": ["eu-west-1"]}, stack, request_id=request_id)
    assert answer.status == "SUCCESS", answer.reason
    # THEN its line has ReplicaWait, about as long as the replica stayed Creating, and every call counted
    [emf] = metric_lines(function.logs(), request_id)
    names = [m["Name"] for m in emf["_aws"]["CloudWatchMetrics"][0]["Metrics"]]
    assert names[-1] == "ReplicaWait"
    assert 500 <= emf["ReplicaWait"] <= emf["Duration"], emf
    assert emf["AwsCalls"] == len(aws.calls())


def test_a_failed_reason_ends_with_the_log_group_and_stream_and_its_metric_says_failed(aws, function, stack):
    request_id = str(uuid.uuid4())
    answer = read(function, ["/ops/missing"], stack, request_id)
    assert answer.status == "FAILED"
    assert "/ops/missing" in answer.reason
    assert answer.reason.endswith(". " + POINTER), answer.reason
    assert len(answer.puts[-1].body) <= 4096
    [emf] = metric_lines(function.logs(), request_id)
    assert emf["Outcome"] == "FAILED"


def test_json_log_lines_carry_a_timestamp_and_the_request_ids(aws, function, stack):
    request_id = str(uuid.uuid4())
    read(function, ["/ops/missing"], stack, request_id)
    lines = [line for line in json_lines(function.logs()) if "_aws" not in line]
    assert lines and all(TIMESTAMP.match(line.get("timestamp", "")) for line in lines), lines[:3]
    mine = [line for line in lines if line.get("span", {}).get("request_id") == request_id]
    assert len(mine) >= 2, lines[-5:]  # the caller check's and the answer's lines at least
    assert all(line["span"].get("lambda_request_id") for line in mine)
    assert any(line["fields"].get("message") == "FAILED" for line in mine)


def test_text_log_lines_carry_a_timestamp_and_the_request_id_and_no_metric_without_a_namespace(
        aws, text_function, stack):
    aws.client("ssm", "us-east-1").put_parameter(Name="/ops/text", Value="v", Type="String", Overwrite=True)
    request_id = str(uuid.uuid4())
    answer = read(text_function, ["/ops/text"], stack, request_id)
    assert answer.status == "SUCCESS", answer.reason
    logs = text_function.logs()
    # no metric line at all: METRICS_NAMESPACE is unset
    assert not [line for line in json_lines(logs) if "_aws" in line]
    # every line is text with a time; the request's lines name it
    lines = [line for line in logs.splitlines() if line.strip()]
    assert lines and not json_lines(logs)
    assert all(TIMESTAMP.match(line) for line in lines), lines[:3]
    mine = [line for line in lines if f"request_id={request_id} " in line]
    assert any("SUCCESS" in line for line in mine), lines[-5:]
    assert all("lambda_request_id=" in line for line in mine)
