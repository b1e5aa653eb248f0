"""End-to-end: hostile and malformed events sent to the real binary, as an attacker with
lambda:InvokeFunction or a fuzzer would send them. Each gets one answer within 4096 bytes before its
deadline (or, where no valid answer can exist, an invocation error at once); nothing but the allowed
ResponseURL receiver is contacted, no AWS state changes, and the process stays small."""

from __future__ import annotations

import json
import uuid

import pytest

from mrk_harness import ResponseReceiver, Stack, emulator

# The receiver on 127.0.0.1 is the allowed answer URL; an attacker's endpoint sits on 127.0.0.2.
FUNCTION_ENV = {"ALLOWED_REGIONS": "us-east-1,eu-west-1", "PARAMETER_PREFIX": "/app/"}
PRIMARY_ARN = "arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab"
DEADLINE_S = 10.0


def admin_url(attacker: ResponseReceiver, secret: str = "") -> str:
    """An endpoint of the attacker's, where no answer may ever go."""
    host, port = attacker._server.server_address[:2]
    return f"http://{secret}{host}:{port}/internal-admin/reset?token=x"


@pytest.fixture(scope="module")
def attacker():
    receiver = ResponseReceiver("127.0.0.2")
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def stack():
    return Stack("hostile")


def envelope(function, stack: Stack, request_type: str = "Create", resource_type: str = "Custom::ReplicaKey",
             properties: dict | None = None) -> tuple[str, dict]:
    """A request id and an event of `stack`, whose resource is registered with the local AWS as in progress:
    the event passes the check of its caller (a real stack, in progress, with that resource), so what is
    tested is what the function does with its content."""
    request_id = str(uuid.uuid4())
    function.register(request_type, resource_type, "Hostile", stack)
    event = function.event(request_type, resource_type, "Hostile", properties or {}, stack, request_id=request_id)
    if request_type != "Create":
        event["PhysicalResourceId"] = "hostile-id"
    return request_id, event


def send(function, request_id: str, event: dict | bytes):
    return function.send("Create", "", "", {}, Stack("unused"), request_id=request_id, raw=event,
                         deadline_in=DEADLINE_S, timeout=DEADLINE_S + 20)


def assert_one_failed_answer(answer, reason_part: str) -> None:
    assert len(answer.puts) == 1, answer.puts
    assert len(answer.puts[0].body) <= 4096
    assert answer.status == "FAILED", answer.body
    assert reason_part in answer.reason, answer.reason
    assert answer.answered_after < DEADLINE_S
    assert answer.result.kind == "response", answer.result


def test_oversized_envelope_fields_are_refused_at_once_without_an_answer(function, stack, attacker):
    for field, value in [
        ("StackId", "s" * (1 << 20)),
        ("RequestId", "r" * (1 << 20)),
        ("LogicalResourceId", "\U0001F600" * 1000),
        ("PhysicalResourceId", "p" * 5000),
        ("ResourceType", "Custom::" + "t" * 5000),
    ]:
        request_id, event = envelope(function, stack, request_type="Update")
        event[field] = value
        answer = send(function, request_id, event)
        assert answer.result.kind == "error", (field, answer.result)
        assert f"its {field} is" in json.dumps(answer.result.body), answer.result.body
        assert answer.puts == [], field
        assert answer.seconds < 5, (field, answer.seconds)
    assert attacker.puts == []


@pytest.mark.parametrize("secret", ["", "user:PASSWORD@"])
def test_a_response_url_elsewhere_is_never_contacted(function, stack, attacker, secret):
    request_id, event = envelope(function, stack, properties={
        "PrimaryKeyArn": PRIMARY_ARN, "ReplicaRegions": ["eu-west-1"]})
    event["ResponseURL"] = admin_url(attacker, secret)
    answer = send(function, request_id, event)
    assert answer.result.kind == "error", answer.result
    assert "ResponseURL refused" in json.dumps(answer.result.body)
    assert attacker.puts == []
    logs = function.logs()
    assert "ResponseURL refused" in logs
    assert "PASSWORD" not in logs and "token=x" not in logs


@pytest.mark.parametrize("name, properties, reason", [
    ("3000 replica regions", {"PrimaryKeyArn": PRIMARY_ARN,
                              "ReplicaRegions": [f"xx-test-{i % 99 + 1}" for i in range(3000)]},
     "3000 regions are listed; at most 50 are accepted"),
    ("a region outside AllowedRegions", {"PrimaryKeyArn": PRIMARY_ARN, "ReplicaRegions": ["ap-southeast-2"]},
     "'ap-southeast-2' is not one of this provider's AllowedRegions (eu-west-1, us-east-1)"),
])
def test_replica_keys_beyond_the_limits_fail_before_any_call(function, stack, aws, name, properties, reason):
    request_id, event = envelope(function, stack, properties=properties)
    answer = send(function, request_id, event)
    assert_one_failed_answer(answer, reason)
    assert aws.client("kms", "ap-southeast-2").list_keys()["Keys"] == [], name


def test_forty_thousand_reader_names_fail_at_once(function, stack):
    request_id, event = envelope(function, stack, resource_type="Custom::CrossRegionParameterReader",
                                 properties={"Region": "eu-west-1", "Names": [f"/app/n{i}" for i in range(40_000)]})
    answer = send(function, request_id, event)
    assert_one_failed_answer(answer, "40000 names are listed; at most 500 are accepted")
    assert answer.answered_after < 3


def test_an_unknown_resource_type_fails(function, stack):
    request_id, event = envelope(function, stack, resource_type="Custom::Nope")
    assert_one_failed_answer(send(function, request_id, event), "unsupported ResourceType 'Custom::Nope'")


def raw_payloads(function, stack) -> list[tuple[str, str, bytes]]:
    """Payloads the runtime cannot parse as JSON, each with a ResponseURL to salvage."""
    payloads = []
    for name, tail in [
        ("nesting of 200 levels", "[" * 200 + "]" * 200),
        ("a lone surrogate", '"\\ud800"'),
        ("a number out of range", "1e400"),
        ("invalid UTF-8", None),
    ]:
        request_id, event = envelope(function, stack)
        text = json.dumps(event)
        if tail is None:
            body = text[:-1].encode() + b', "X": "\xff\xfe"}'
        else:
            body = (text[:-1] + f', "X": {tail}}}').encode()
        payloads.append((name, request_id, body))
    return payloads


def test_payloads_that_are_not_json_are_answered_failed_at_their_response_url(function, stack, attacker):
    # Python's json module takes some of these; serde_json, which the runtime uses, takes none.
    for name, request_id, body in raw_payloads(function, stack):
        answer = send(function, request_id, body)
        assert_one_failed_answer(answer, "the event is not valid JSON")
        assert answer.body["RequestId"] == request_id, name
    assert attacker.puts == []


def test_a_secure_string_outside_the_decrypt_prefix_is_never_decrypted(function, stack, aws):
    # This module's function has no DECRYPT_PREFIX: it decrypts nothing.
    secret = "hostile-secret-7c2e"
    aws.client("ssm", "us-east-1").put_parameter(Name="/app/db-password", Value=secret, Type="SecureString")
    request_id, event = envelope(function, stack, resource_type="Custom::CrossRegionParameterReader",
                                 properties={"Region": "us-east-1", "Names": ["/app/db-password"],
                                             "WithDecryption": True})
    answer = send(function, request_id, event)
    assert_one_failed_answer(answer, "this provider decrypts no SecureStrings")
    assert secret not in answer.puts[0].body.decode()
    assert secret not in function.logs()


def test_the_process_stays_small_after_every_hostile_event(function):
    if emulator():
        pytest.skip("under qemu the peak memory is the emulator's, not the function's")
    # Runs after the tests above in this module, on the same process.
    assert function.peak_memory_bytes() < 64 * 1024 * 1024, function.peak_memory_bytes()
    assert function.process.poll() is None, "the function process is still running"
