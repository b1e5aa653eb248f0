"""Tests of the local AWS (mrk_harness.localaws, in tests/harness): fidelity fixes, fault modes,
call log, launcher.

Run: .venv/bin/python -m pytest tests/harness/tests/test_localaws.py -q (after `make .venv/.installed`)
"""

from __future__ import annotations

import concurrent.futures
import json
import socket
import time
import urllib.error
import urllib.request
import uuid

import botocore.exceptions
import pytest
from botocore.config import Config

from mrk_harness.localaws import LocalAws, LocalAwsError

PRIMARY = "us-east-1"
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})


@pytest.fixture(scope="module")
def aws():
    with LocalAws(creating_seconds=0.0) as local:
        yield local


@pytest.fixture(autouse=True)
def _clean(aws):
    aws.clear_faults()
    aws.configure(creating_seconds=0.0)
    yield
    aws.clear_faults()
    aws.configure(creating_seconds=0.0)


def kms(aws, region=PRIMARY, config=NO_RETRY):
    return aws.client("kms", region, config=config)


def ssm(aws, region=PRIMARY, config=NO_RETRY):
    return aws.client("ssm", region, config=config)


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def new_mrk(aws, **kwargs):
    return kms(aws).create_key(MultiRegion=True, **kwargs)["KeyMetadata"]


def arn_in(arn: str, region: str) -> str:
    parts = arn.split(":")
    parts[3] = region
    return ":".join(parts)


def wait_for_state(client, key_id, state, timeout=5.0):
    deadline = time.monotonic() + timeout
    for _ in range(200):
        meta = client.describe_key(KeyId=key_id)["KeyMetadata"]
        if meta["KeyState"] == state or time.monotonic() >= deadline:
            return meta
        time.sleep(0.1)
    return meta


# ---------------------------------------------------------------- fidelity


def test_multi_region_key_ids_are_mrk_and_32_hex_digits(aws):
    key_id = new_mrk(aws)["KeyId"]
    assert key_id.startswith("mrk-") and len(key_id) == 36
    int(key_id[4:], 16)  # raises if not hexadecimal
    assert "-" not in key_id[4:]
    single = kms(aws).create_key()["KeyMetadata"]["KeyId"]
    assert len(single) == 36 and single.count("-") == 4  # single-Region ids stay UUIDs


def test_replicate_key_accepts_key_arn_and_key_id(aws):
    """(a) ReplicateKey KeyId: "Specify the key ID or key ARN of a multi-Region primary key"."""
    key = new_mrk(aws)
    by_arn = kms(aws).replicate_key(KeyId=key["Arn"], ReplicaRegion="eu-west-1")["ReplicaKeyMetadata"]
    assert by_arn["Arn"] == arn_in(key["Arn"], "eu-west-1")
    assert by_arn["KeyId"] == key["KeyId"]
    by_id = kms(aws).replicate_key(KeyId=key["KeyId"], ReplicaRegion="eu-west-2")["ReplicaKeyMetadata"]
    assert by_id["Arn"] == arn_in(key["Arn"], "eu-west-2")


def test_replica_has_its_own_multi_region_configuration(aws):
    """(b) primary stays PRIMARY, replica is REPLICA with its own ARN; both list
    every replica; aliases do not leak between Regions."""
    key = new_mrk(aws)
    kms(aws).replicate_key(KeyId=key["KeyId"], ReplicaRegion="eu-west-1")
    replica = kms(aws, "eu-west-1").describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    primary = kms(aws).describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert replica["Arn"] == arn_in(key["Arn"], "eu-west-1")
    assert replica["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    assert primary["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
    assert replica["MultiRegionConfiguration"]["PrimaryKey"] == {"Arn": key["Arn"], "Region": PRIMARY}

    kms(aws).replicate_key(KeyId=key["KeyId"], ReplicaRegion="ap-southeast-2")
    expected = [
        {"Arn": arn_in(key["Arn"], "eu-west-1"), "Region": "eu-west-1"},
        {"Arn": arn_in(key["Arn"], "ap-southeast-2"), "Region": "ap-southeast-2"},
    ]
    for region in (PRIMARY, "eu-west-1", "ap-southeast-2"):
        mrc = kms(aws, region).describe_key(KeyId=key["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]
        assert mrc["ReplicaKeys"] == expected, region
        assert mrc["MultiRegionKeyType"] == ("PRIMARY" if region == PRIMARY else "REPLICA")

    alias = f"alias/own-{uuid.uuid4().hex[:8]}"
    kms(aws, "eu-west-1").create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    assert alias not in [a["AliasName"] for a in kms(aws).list_aliases()["Aliases"]]
    kms(aws, "eu-west-1").disable_key(KeyId=key["KeyId"])
    assert kms(aws).describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_second_replicate_key_into_same_region_raises_already_exists(aws):
    """(c) "If the Region already includes a replica ... AlreadyExistsException",
    also while that replica is PendingDeletion."""
    key = new_mrk(aws)
    kms(aws).replicate_key(KeyId=key["KeyId"], ReplicaRegion="eu-west-1")
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        kms(aws).replicate_key(KeyId=key["KeyId"], ReplicaRegion="eu-west-1", Description="again")
    assert error_code(exc) == "AlreadyExistsException"
    assert kms(aws, "eu-west-1").describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Description"] == ""

    kms(aws, "eu-west-1").schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        kms(aws).replicate_key(KeyId=key["Arn"], ReplicaRegion="eu-west-1")
    assert error_code(exc) == "AlreadyExistsException"


def test_new_replica_is_creating_then_enabled(aws):
    """(d) "the new replica key has a transient key state of Creating ... changes to
    Enabled ... While the key state is Creating ... you cannot yet use it in
    cryptographic operations" (KMSInvalidStateException)."""
    aws.configure(creating_seconds=1.0)
    key = new_mrk(aws)
    started = time.monotonic()
    out = kms(aws).replicate_key(KeyId=key["KeyId"], ReplicaRegion="eu-west-3")["ReplicaKeyMetadata"]
    assert (out["KeyState"], out["Enabled"]) == ("Creating", False)
    replica = kms(aws, "eu-west-3")
    meta = replica.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"]) == ("Creating", False)
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        replica.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert error_code(exc) == "KMSInvalidStateException"
    # management works while Creating
    replica.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "k", "TagValue": "v"}])

    meta = wait_for_state(replica, key["KeyId"], "Enabled", timeout=5.0)
    elapsed = time.monotonic() - started
    assert (meta["KeyState"], meta["Enabled"]) == ("Enabled", True)
    assert 0.9 <= elapsed < 5.0
    replica.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    # the primary never was Creating
    assert kms(aws).describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_replicate_key_applies_tags_description_and_policy(aws):
    """(e) ReplicateKey's Tags, Description and Policy belong to the replica;
    without them the replica has no tags, an empty description and the
    default key policy."""
    key = new_mrk(aws, Description="primary-desc", Tags=[{"TagKey": "p", "TagValue": "1"}])
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "custom",
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
    )
    out = kms(aws).replicate_key(
        KeyId=key["Arn"],
        ReplicaRegion="eu-west-1",
        Description="replica-desc",
        Tags=[{"TagKey": "r", "TagValue": "2"}],
        Policy=policy,
    )
    assert out["ReplicaPolicy"] == policy
    assert out["ReplicaTags"] == [{"TagKey": "r", "TagValue": "2"}]
    replica = kms(aws, "eu-west-1")
    assert replica.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Description"] == "replica-desc"
    assert replica.list_resource_tags(KeyId=key["KeyId"])["Tags"] == [{"TagKey": "r", "TagValue": "2"}]
    assert replica.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"] == policy
    # primary untouched
    assert kms(aws).describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Description"] == "primary-desc"
    assert kms(aws).list_resource_tags(KeyId=key["KeyId"])["Tags"] == [{"TagKey": "p", "TagValue": "1"}]

    kms(aws).replicate_key(KeyId=key["KeyId"], ReplicaRegion="eu-west-2")
    bare = kms(aws, "eu-west-2")
    assert bare.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Description"] == ""
    assert bare.list_resource_tags(KeyId=key["KeyId"])["Tags"] == []
    assert json.loads(bare.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])["Id"] == "key-default-1"


def test_mrk_ciphertext_decrypts_in_primary_and_replica_region(aws):
    """(f) related multi-Region keys are interchangeable: encrypt in one Region,
    decrypt in another; Decrypt reports the key ARN of its own Region."""
    key = new_mrk(aws)
    kms(aws).replicate_key(KeyId=key["KeyId"], ReplicaRegion="eu-west-1")
    blob = kms(aws).encrypt(KeyId=key["KeyId"], Plaintext=b"secret")["CiphertextBlob"]
    assert kms(aws).decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"
    out = kms(aws, "eu-west-1").decrypt(CiphertextBlob=blob)
    assert out["Plaintext"] == b"secret"
    assert out["KeyId"] == arn_in(key["Arn"], "eu-west-1")
    back = kms(aws, "eu-west-1").encrypt(KeyId=key["KeyId"], Plaintext=b"back")["CiphertextBlob"]
    assert kms(aws).decrypt(CiphertextBlob=back, KeyId=key["Arn"])["Plaintext"] == b"back"
    # a disabled replica refuses cryptographic use
    kms(aws, "eu-west-1").disable_key(KeyId=key["KeyId"])
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        kms(aws, "eu-west-1").decrypt(CiphertextBlob=blob)
    assert error_code(exc) == "DisabledException"


def test_key_state_operations_accept_arn_and_enforce_key_state(aws):
    """Enable/Disable/ScheduleKeyDeletion/CancelKeyDeletion: "Specify the key ID or
    key ARN"; CancelKeyDeletion leaves the key Disabled; responses carry the key ARN."""
    key = new_mrk(aws)
    kms(aws).replicate_key(KeyId=key["KeyId"], ReplicaRegion="eu-west-1")
    replica = kms(aws, "eu-west-1")
    rarn = arn_in(key["Arn"], "eu-west-1")
    replica.disable_key(KeyId=rarn)
    assert replica.describe_key(KeyId=rarn)["KeyMetadata"]["KeyState"] == "Disabled"
    replica.enable_key(KeyId=rarn)
    out = replica.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert out["KeyId"] == rarn
    assert out["KeyState"] == "PendingDeletion"
    assert out["PendingWindowInDays"] == 7
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        replica.enable_key(KeyId=rarn)
    assert error_code(exc) == "KMSInvalidStateException"
    assert replica.cancel_key_deletion(KeyId=rarn)["KeyId"] == rarn
    meta = replica.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"]) == ("Disabled", False)
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        replica.cancel_key_deletion(KeyId=rarn)
    assert error_code(exc) == "KMSInvalidStateException"
    replica.enable_key(KeyId=key["KeyId"])
    assert kms(aws).describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_replicate_key_rejects_non_mrk_replica_source_and_missing_key(aws):
    single = kms(aws).create_key()["KeyMetadata"]
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        kms(aws).replicate_key(KeyId=single["Arn"], ReplicaRegion="eu-west-1")
    assert error_code(exc) == "UnsupportedOperationException"
    key = new_mrk(aws)
    kms(aws).replicate_key(KeyId=key["KeyId"], ReplicaRegion="eu-west-1")
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        kms(aws, "eu-west-1").replicate_key(KeyId=key["KeyId"], ReplicaRegion="eu-north-1")
    assert error_code(exc) == "UnsupportedOperationException"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        kms(aws).replicate_key(KeyId=key["KeyId"], ReplicaRegion=PRIMARY)
    assert error_code(exc) == "ValidationException"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        kms(aws).replicate_key(KeyId="mrk-00000000-0000-0000-0000-000000000000", ReplicaRegion="eu-west-1")
    assert error_code(exc) == "NotFoundException"


def test_update_primary_region(aws):
    """UpdatePrimaryRegion (not implemented by moto 5.2.5) swaps primary and replica."""
    key = new_mrk(aws)
    kms(aws).replicate_key(KeyId=key["KeyId"], ReplicaRegion="eu-west-1")
    kms(aws).update_primary_region(KeyId=key["Arn"], PrimaryRegion="eu-west-1")
    new_primary = kms(aws, "eu-west-1").describe_key(KeyId=key["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]
    old_primary = kms(aws).describe_key(KeyId=key["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]
    assert new_primary["MultiRegionKeyType"] == "PRIMARY"
    assert old_primary["MultiRegionKeyType"] == "REPLICA"
    assert old_primary["PrimaryKey"]["Region"] == "eu-west-1"
    assert old_primary["ReplicaKeys"] == [{"Arn": key["Arn"], "Region": PRIMARY}]


def test_replica_region_management_operations(aws):
    """Checks that plain moto already gets right, kept as regression guards."""
    key = new_mrk(aws)
    kms(aws).replicate_key(KeyId=key["KeyId"], ReplicaRegion="eu-west-1")
    replica = kms(aws, "eu-west-1")
    rarn = arn_in(key["Arn"], "eu-west-1")
    alias = f"alias/mgmt-{uuid.uuid4().hex[:8]}"
    replica.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        replica.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    assert error_code(exc) == "AlreadyExistsException"
    assert replica.describe_key(KeyId=alias)["KeyMetadata"]["Arn"] == rarn
    assert replica.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Arn"] == rarn
    replica.tag_resource(KeyId=rarn, Tags=[{"TagKey": "a", "TagValue": "1"}, {"TagKey": "b", "TagValue": "2"}])
    replica.untag_resource(KeyId=rarn, TagKeys=["a"])
    assert replica.list_resource_tags(KeyId=rarn)["Tags"] == [{"TagKey": "b", "TagValue": "2"}]
    replica.update_key_description(KeyId=rarn, Description="d2")
    replica.put_key_policy(KeyId=rarn, PolicyName="default", Policy='{"Version":"2012-10-17","Statement":[]}')
    assert kms(aws).describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Description"] == ""
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        replica.delete_alias(AliasName="alias/does-not-exist")
    assert error_code(exc) == "NotFoundException"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        kms(aws, "sa-east-1").describe_key(KeyId=key["KeyId"])
    assert error_code(exc) == "NotFoundException"


def test_ssm_parameter_behaviours(aws):
    """SSM as mrk-provider uses it (plain moto is already right; guards)."""
    c = ssm(aws, "eu-west-1")
    name = f"/localaws/{uuid.uuid4().hex[:8]}"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        c.put_parameter(Name=name, Value="v", Type="String", Overwrite=True, Tags=[{"Key": "k", "Value": "v"}])
    assert error_code(exc) == "ValidationException"
    c.put_parameter(Name=name, Value="v", Type="String", Tags=[{"Key": "k", "Value": "v"}])
    assert c.put_parameter(Name=name, Value="v2", Type="String", Overwrite=True)["Version"] == 2
    c.add_tags_to_resource(ResourceType="Parameter", ResourceId=name, Tags=[{"Key": "k2", "Value": "v2"}])
    tags = c.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("k", "v"), ("k2", "v2")]
    got = c.get_parameters(Names=[name, name + "-missing"])
    assert [p["Value"] for p in got["Parameters"]] == ["v2"]
    assert got["InvalidParameters"] == [name + "-missing"]
    described = c.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]
    assert [p["Name"] for p in described] == [name]
    assert ssm(aws, "eu-west-2").get_parameters(Names=[name])["InvalidParameters"] == [name]
    out = c.delete_parameters(Names=[name, name + "-missing"])
    assert out["DeletedParameters"] == [name]
    assert out["InvalidParameters"] == [name + "-missing"]


# ------------------------------------------------------------------ faults


def test_fault_throttle_n_then_success(aws):
    aws.clear_calls()
    aws.faults(service="kms", operations=["DescribeKey"], throttle=2)
    key = new_mrk(aws)  # CreateKey is not throttled
    retrying = kms(aws, config=Config(retries={"total_max_attempts": 5, "mode": "standard"}))
    assert retrying.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyId"] == key["KeyId"]
    calls = aws.calls(service="kms", operation="DescribeKey")
    assert [(c["fault"], c["status"]) for c in calls] == [("throttle", 400), ("throttle", 400), (None, 200)]

    aws.faults(service="kms", operations=["DescribeKey"], throttle=1)
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        kms(aws).describe_key(KeyId=key["KeyId"])
    assert error_code(exc) == "ThrottlingException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert exc.value.response["Error"]["Message"] == "Rate exceeded"
    kms(aws).describe_key(KeyId=key["KeyId"])  # budget used up


def test_fault_5xx_kms_and_ssm(aws):
    aws.faults(service="ssm", error_5xx=1)
    aws.faults(service="kms", operations=["ListKeys"], error_5xx=1)
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        ssm(aws).get_parameters(Names=["/nothing"])
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert error_code(exc) == "InternalServerError"
    assert ssm(aws).get_parameters(Names=["/nothing"])["InvalidParameters"] == ["/nothing"]
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        kms(aws).list_keys()
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert error_code(exc) == "KMSInternalException"
    # the SDK retries it as transient
    aws.faults(service="kms", operations=["ListKeys"], error_5xx=1)
    kms(aws, config=Config(retries={"total_max_attempts": 3, "mode": "standard"})).list_keys()


def test_fault_latency(aws):
    c = ssm(aws, "eu-west-1")
    c.get_parameters(Names=["/warm"])
    aws.faults(service="ssm", regions=["eu-west-1"], operations=["GetParameters"], latency_ms=400)
    started = time.monotonic()
    c.get_parameters(Names=["/slow"])
    slow = time.monotonic() - started
    started = time.monotonic()
    ssm(aws, "eu-west-2").get_parameters(Names=["/fast"])  # other region: no latency
    fast = time.monotonic() - started
    assert 0.4 <= slow < 3.0
    assert fast < 0.35


def test_fault_hang_is_bounded_and_server_stays_responsive(aws):
    key = new_mrk(aws)
    aws.faults(service="kms", operations=["DescribeKey"], hang=2, hang_seconds=1.5)
    impatient = kms(aws, config=Config(read_timeout=0.5, connect_timeout=2, retries={"total_max_attempts": 1, "mode": "standard"}))
    patient = kms(aws, config=Config(read_timeout=5, connect_timeout=2, retries={"total_max_attempts": 1, "mode": "standard"}))
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        started = time.monotonic()
        hung = pool.submit(patient.describe_key, KeyId=key["KeyId"])
        time.sleep(0.2)
        # other calls proceed while one is hung (threaded server)
        kms(aws).list_keys()
        assert time.monotonic() - started < 1.0
        with pytest.raises(botocore.exceptions.ReadTimeoutError):
            impatient.describe_key(KeyId=key["KeyId"])
        assert hung.result(timeout=10)["KeyMetadata"]["KeyId"] == key["KeyId"]
        assert 1.4 <= time.monotonic() - started < 5.0
    # both hangs used up: answers at once
    started = time.monotonic()
    patient.describe_key(KeyId=key["KeyId"])
    assert time.monotonic() - started < 1.0


def test_fault_hang_released_by_clear(aws):
    aws.faults(service="ssm", hang=1, hang_seconds=30)
    patient = ssm(aws, config=Config(read_timeout=10, retries={"total_max_attempts": 1, "mode": "standard"}))
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        started = time.monotonic()
        hung = pool.submit(patient.get_parameters, Names=["/x"])
        time.sleep(0.3)
        aws.clear_faults()
        hung.result(timeout=10)
        assert time.monotonic() - started < 3.0


def test_fault_tps_token_bucket(aws):
    aws.faults(service="ssm", regions=["ap-northeast-1"], tps=5)
    c = ssm(aws, "ap-northeast-1")
    outcomes = []
    for _ in range(20):
        try:
            c.get_parameters(Names=["/tps"])
            outcomes.append("ok")
        except botocore.exceptions.ClientError as exc:
            outcomes.append(exc.response["Error"]["Code"])
    assert set(outcomes) <= {"ok", "ThrottlingException"}
    assert outcomes[:5] == ["ok"] * 5  # full bucket
    assert outcomes.count("ThrottlingException") >= 5
    for _ in range(10):  # other region not limited
        ssm(aws, "ap-northeast-2").get_parameters(Names=["/tps"])
    time.sleep(0.5)  # refills ~2.5 tokens
    c.get_parameters(Names=["/tps"])


def test_fault_quotas_are_a_token_bucket_per_operation_and_region(aws):
    # GIVEN KMS held to 3 ListAliases a second per region; ListKeys has no quota
    aws.faults(service="kms", quotas={"ListAliases": 3})
    aws.clear_calls()

    def outcomes(call, n):
        found = []
        for _ in range(n):
            try:
                call()
                found.append("ok")
            except botocore.exceptions.ClientError as exc:
                found.append(exc.response["Error"]["Code"])
        return found

    # WHEN 8 ListAliases, then 8 ListKeys, are sent at once in one region, and 8 ListAliases in another
    eu = kms(aws, "eu-west-1")
    aliases = outcomes(eu.list_aliases, 8)
    keys = outcomes(eu.list_keys, 8)
    other_region = outcomes(kms(aws, "eu-central-1").list_aliases, 8)
    # THEN each region's ListAliases got its full bucket of 3 (and a little refill), the rest throttled;
    # ListKeys none
    for found in (aliases, other_region):
        assert found[:3] == ["ok"] * 3 and set(found) <= {"ok", "ThrottlingException"}
        assert found.count("ThrottlingException") >= 4, found
    assert keys == ["ok"] * 8
    faulted = [c for c in aws.calls(service="kms") if c["fault"]]
    assert {(c["operation"], c["fault"], c["status"]) for c in faulted} == {("ListAliases", "quota", 400)}
    # AND the bucket refills at 3 a second
    time.sleep(0.5)
    eu.list_aliases()
    # AND a quota of nothing, or of a negative rate, is refused
    for bad in ({}, {"ListAliases": 0}, {"ListAliases": "5"}, ["ListAliases"]):
        with pytest.raises(LocalAwsError):
            aws.faults(service="kms", quotas=bad)


def test_fault_specs_combine_filter_and_clear(aws):
    specs = aws.faults(
        {"service": "kms", "regions": ["eu-west-1"], "throttle": 1},
        {"service": "ssm", "operations": ["PutParameter"], "error_5xx": 1},
    )
    assert [s["id"] for s in specs] == sorted(s["id"] for s in specs)
    assert len(aws.list_faults()) == 2
    kms(aws).list_keys()  # us-east-1: not matched
    ssm(aws).get_parameters(Names=["/a"])  # GetParameters: not matched
    with pytest.raises(botocore.exceptions.ClientError):
        kms(aws, "eu-west-1").list_keys()
    aws.clear_faults()
    assert aws.list_faults() == []
    ssm(aws).put_parameter(Name=f"/combine/{uuid.uuid4().hex[:6]}", Value="v", Type="String")
    with pytest.raises(LocalAwsError):
        aws.faults(service="s3", throttle=1)
    with pytest.raises(LocalAwsError):
        aws.faults(service="kms", throttle=1, bogus=True)
    with pytest.raises(LocalAwsError):
        aws.faults(service="kms")  # no fault mode


# ---------------------------------------------------------------- call log


def test_call_log_records_and_proves_no_calls(aws):
    aws.clear_calls()
    assert aws.calls() == []
    key = new_mrk(aws)
    kms(aws).replicate_key(KeyId=key["KeyId"], ReplicaRegion="eu-west-1")
    ssm(aws, "eu-west-1").get_parameters(Names=["/log"])
    calls = aws.calls()
    assert [(c["service"], c["region"], c["operation"]) for c in calls] == [
        ("kms", PRIMARY, "CreateKey"),
        ("kms", PRIMARY, "ReplicateKey"),
        ("ssm", "eu-west-1", "GetParameters"),
    ]
    assert all(isinstance(c["time"], float) and c["status"] == 200 for c in calls)
    assert calls[0]["time"] <= calls[1]["time"] <= calls[2]["time"]
    assert aws.calls(service="ssm") == calls[2:]
    assert aws.calls(region="eu-west-1") == calls[2:]
    aws.clear_calls()
    # e.g. "nothing touched KMS": control-API traffic is not logged
    aws.list_faults()
    aws.configure(creating_seconds=0.0)
    assert aws.calls(service="kms") == []
    assert aws.calls() == []


def test_control_api_over_plain_http(aws):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(method, path, payload=None):
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(aws.endpoint + path, data=data, method=method)
        try:
            with opener.open(req, timeout=5) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    status, body = call("POST", "/_localaws/faults", {"service": "kms", "throttle": 3})
    assert status == 200 and body["added"][0]["throttle"] == 3
    assert call("GET", "/_localaws/faults")[1]["faults"][0]["service"] == "kms"
    assert call("POST", "/_localaws/faults/clear", {})[1] == {"faults": []}
    assert call("POST", "/_localaws/config", {"creating_seconds": 0.25})[1] == {"creating_seconds": 0.25}
    assert call("POST", "/_localaws/config", {"creating_seconds": -1})[0] == 400
    assert call("POST", "/_localaws/config", {"nope": 1})[0] == 400
    health = call("GET", "/_localaws/health")[1]
    assert health["moto"] == "5.2.5" and health["module_list_cached"] is True
    assert health["lookups_cached"] == ["backend_for_host", "method_names_from_class"]
    assert call("GET", "/_localaws/nothing-here")[0] == 404
    assert call("POST", "/_localaws/calls/clear", {})[1] == {"calls": []}


# ---------------------------------------------------------------- launcher


def test_fidelity_patch_fails_loudly_when_moto_internal_is_missing():
    from mrk_harness.localaws import fidelity

    with pytest.raises(fidelity.FidelityPatchError, match="'replicate_key'.*no attribute 'gone'"):
        fidelity._require(object, "gone", "replicate_key")


def test_moto_module_list_is_taken_once_and_keeps_its_names(monkeypatch):
    from moto import backends

    from mrk_harness.localaws import server

    original = backends.list_of_moto_modules
    expected = list(original())
    listings = []

    def counting():
        listings.append(1)
        return original()

    monkeypatch.setattr(backends, "list_of_moto_modules", counting)  # restored after the test
    assert server.cache_moto_module_list() is True
    assert list(backends.list_of_moto_modules()) == expected
    assert {"kms", "ssm"} <= set(backends.list_of_moto_modules())
    assert "ssm" in backends.list_of_moto_modules()  # how moto's router uses it
    assert len(listings) == 1, "the directory was listed again"
    assert server.cache_moto_module_list() is True and len(listings) == 1


def test_moto_static_lookups_are_remembered_and_answer_the_same(monkeypatch):
    from moto.core import responses, utils
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from moto.ssm.responses import SimpleSystemManagerResponse

    from mrk_harness.localaws import server

    monkeypatch.setattr(DomainDispatcherApplication, "get_backend_for_host",
                        DomainDispatcherApplication.get_backend_for_host)  # restored after the test
    monkeypatch.setattr(responses, "method_names_from_class", responses.method_names_from_class)
    dispatcher = DomainDispatcherApplication(create_backend_app)
    hosts = ["ssm.eu-west-1.amazonaws.com", "kms.us-east-1.amazonaws.com", "nothing.example", None, "moto_api"]
    expected = [dispatcher.get_backend_for_host(host) for host in hosts]
    names = utils.method_names_from_class(SimpleSystemManagerResponse)
    assert server.cache_static_lookups() == ["backend_for_host", "method_names_from_class"]
    assert [dispatcher.get_backend_for_host(host) for host in hosts] == expected
    assert expected[:2] == ["ssm", "kms"]
    assert responses.method_names_from_class(SimpleSystemManagerResponse) == names and "put_parameter" in names
    # Asked again, a remembered answer is given: the URL patterns are not tried.
    monkeypatch.setattr(dispatcher, "backend_url_patterns", [])
    assert dispatcher.get_backend_for_host("ssm.eu-west-1.amazonaws.com") == "ssm"
    assert server.cache_static_lookups() == ["backend_for_host", "method_names_from_class"]


def test_launcher_port_creating_seconds_reset_and_clean_exit():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with LocalAws(creating_seconds=0.5, port=port) as local:
        assert local.endpoint == f"http://127.0.0.1:{port}"
        assert local.config() == {"creating_seconds": 0.5}
        client = local.client("kms", PRIMARY, config=NO_RETRY)
        key = client.create_key(MultiRegion=True)["KeyMetadata"]
        out = client.replicate_key(KeyId=key["KeyId"], ReplicaRegion="eu-west-1")["ReplicaKeyMetadata"]
        assert out["KeyState"] == "Creating"
        local.reset()
        assert client.list_keys()["Keys"] == []
        assert local.calls() == [
            {**local.calls()[0], "service": "kms", "region": PRIMARY, "operation": "ListKeys"}
        ]
        proc = local.proc
    assert proc.returncode == 0
    assert "stopped (signal)" in local.log_text()
