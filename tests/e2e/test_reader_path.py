"""End-to-end: Custom::CrossRegionParameterReader with `Path` on the real binary against the local AWS:
every parameter under a path, one level or every level, page by page, and the bound of 500 (past it
FAILED with the count, nothing answered)."""

from __future__ import annotations

import pytest
from mrk_harness import Stack

FUNCTION_ENV = {"PARAMETER_PREFIX": "/paths/", "DECRYPT_PREFIX": "/paths/secret/"}
READER = "Custom::CrossRegionParameterReader"


@pytest.fixture(scope="module")
def tree(aws):
    """Under /paths/app in us-east-1: 12 parameters on its first level and 3 on deeper ones."""
    ssm = aws.client("ssm", "us-east-1")
    for i in range(12):
        ssm.put_parameter(Name=f"/paths/app/p-{i:02}", Value=f"v{i:02}", Type="String", Overwrite=True)
    for name in ("/paths/app/deep/a", "/paths/app/deep/b", "/paths/app/deep/er/c"):
        ssm.put_parameter(Name=name, Value=name.rsplit("/", 1)[1], Type="String", Overwrite=True)
    ssm.put_parameter(Name="/paths/secret/db", Value="s3cr3t", Type="SecureString", Overwrite=True)
    return ssm


def read(function, stack: Stack, **properties):
    return function.send("Create", READER, "Reader", {"Region": "us-east-1", **properties}, stack)


def test_a_path_is_read_one_level_page_by_page(aws, function, tree, stack):
    aws.clear_calls()
    answer = read(function, stack, Path="/paths/app")
    assert answer.status == "SUCCESS", answer.reason
    assert sorted(answer.data) == [f"/paths/app/p-{i:02}" for i in range(12)]
    assert answer.data["/paths/app/p-07"] == "v07"
    assert answer.body["NoEcho"] is False
    # two pages of at most 10
    assert len(aws.calls(service="ssm", operation="GetParametersByPath")) == 2


def test_recursive_reads_every_level_and_a_trailing_slash_is_the_same_path(aws, function, tree, stack):
    answer = read(function, stack, Path="/paths/app/", Recursive=True)
    assert answer.status == "SUCCESS", answer.reason
    assert len(answer.data) == 15
    assert answer.data["/paths/app/deep/er/c"] == "c"
    one = read(function, stack, Path="/paths/app/deep/er")
    assert one.status == "SUCCESS", one.reason
    assert one.data == {"/paths/app/deep/er/c": "c", "Value": "c"}


def test_a_decrypted_path_sets_no_echo_and_a_path_outside_the_decrypt_prefix_is_refused(aws, function, tree,
                                                                                       stack):
    answer = read(function, stack, Path="/paths/secret", WithDecryption=True)
    assert answer.status == "SUCCESS", answer.reason
    assert answer.data["Value"] == "s3cr3t" and answer.body["NoEcho"] is True
    aws.clear_calls()
    refused = read(function, stack, Path="/paths/app", WithDecryption=True)
    assert refused.status == "FAILED"
    assert "outside this provider's DecryptPrefix" in refused.reason
    assert aws.calls(service="ssm") == []


def test_an_empty_path_fails_naming_it(aws, function, tree, stack):
    answer = read(function, stack, Path="/paths/nothing")
    assert answer.status == "FAILED"
    assert answer.reason.startswith("no parameter under /paths/nothing in us-east-1"), answer.reason


def test_more_than_500_parameters_fail_with_the_count_and_nothing_is_answered(aws, function, stack):
    # GIVEN 501 parameters under /paths/many
    ssm = aws.client("ssm", "us-east-1")
    for i in range(501):
        ssm.put_parameter(Name=f"/paths/many/p-{i:03}", Value="v", Type="String", Overwrite=True)
    aws.clear_calls()
    # WHEN a reader reads the path
    answer = read(function, stack, Path="/paths/many")
    # THEN it is FAILED with the count, no attribute answered, after 51 pages
    assert answer.status == "FAILED"
    assert answer.reason.startswith(
        "more than 500 parameters under /paths/many in us-east-1 (501 read when the provider stopped)"), answer.reason
    assert answer.data == {}
    assert len(aws.calls(service="ssm", operation="GetParametersByPath")) == 51
