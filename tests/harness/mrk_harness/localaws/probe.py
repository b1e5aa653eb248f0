"""Re-measure moto's fidelity gaps with boto3.

    .venv/bin/python -m mrk_harness.localaws.probe --plain   # unpatched moto
    .venv/bin/python -m mrk_harness.localaws.probe           # with fidelity.py

Starts its own LocalAws (127.0.0.1 only) and prints, per check, what the
server did and whether that is what AWS does. Exit code 0 either way.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any, Callable

import botocore.exceptions
from botocore.config import Config

from .client import LocalAws

CREATING_SECONDS = 1.0
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})
P, R, R2 = "us-east-1", "eu-west-1", "eu-west-2"


def outcome(fn: Callable[[], Any]) -> str:
    try:
        out = fn()
    except botocore.exceptions.ClientError as exc:
        meta = exc.response.get("ResponseMetadata", {})
        return f"error HTTP {meta.get('HTTPStatusCode')} {exc.response['Error'].get('Code')}"
    return f"ok {json.dumps(out, default=str)}"


def run(aws: LocalAws) -> list[tuple[str, str, str]]:
    k1 = aws.client("kms", P, config=NO_RETRY)
    k2 = aws.client("kms", R, config=NO_RETRY)
    s1 = aws.client("ssm", P, config=NO_RETRY)
    rows: list[tuple[str, str, str]] = []

    def check(name: str, aws_does: str, fn: Callable[[], Any]) -> None:
        rows.append((name, aws_does, outcome(fn)))

    key = k1.create_key(MultiRegion=True, Description="primary")["KeyMetadata"]
    kid, karn = key["KeyId"], key["Arn"]
    rarn = karn.replace(f":{P}:", f":{R}:")
    other = k1.create_key(MultiRegion=True)["KeyMetadata"]["Arn"]
    check("ReplicateKey KeyId=<key ARN>", "ok", lambda: k1.replicate_key(KeyId=other, ReplicaRegion=R)["ReplicaKeyMetadata"]["Arn"])
    check("ReplicateKey KeyId=<key id>", "ok", lambda: k1.replicate_key(KeyId=kid, ReplicaRegion=R)["ReplicaKeyMetadata"]["Arn"])
    check(
        "ReplicateKey KeyId=<key id> w/ Description/Tags/Policy",
        "ok",
        lambda: k1.replicate_key(
            KeyId=kid,
            ReplicaRegion=R2,
            Description="replica",
            Tags=[{"TagKey": "r", "TagValue": "1"}],
            Policy=json.dumps({"Version": "2012-10-17", "Statement": [], "Id": "custom"}),
        )["ReplicaKeyMetadata"]["Arn"],
    )
    check("new replica KeyState (right after ReplicateKey)", 'ok "Creating"',
          lambda: k2.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"])
    check("replica MultiRegionKeyType", 'ok "REPLICA"', lambda: k2.describe_key(KeyId=kid)["KeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"])
    check("primary MultiRegionKeyType after replica described", 'ok "PRIMARY"',
          lambda: k1.describe_key(KeyId=kid)["KeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"])
    check("primary ReplicaKeys regions", f'ok ["{R}", "{R2}"]',
          lambda: [r["Region"] for r in k1.describe_key(KeyId=kid)["KeyMetadata"]["MultiRegionConfiguration"]["ReplicaKeys"]])
    check("second ReplicateKey into same Region", "error HTTP 400 AlreadyExistsException",
          lambda: k1.replicate_key(KeyId=kid, ReplicaRegion=R)["ReplicaKeyMetadata"]["Arn"])
    k3 = aws.client("kms", R2, config=NO_RETRY)
    check("ReplicateKey Description on replica", 'ok "replica"', lambda: k3.describe_key(KeyId=kid)["KeyMetadata"]["Description"])
    check("ReplicateKey Tags on replica", 'ok [{"TagKey": "r", "TagValue": "1"}]', lambda: k3.list_resource_tags(KeyId=kid)["Tags"])
    check("ReplicateKey Policy on replica", 'ok "custom"',
          lambda: json.loads(k3.get_key_policy(KeyId=kid, PolicyName="default")["Policy"]).get("Id"))
    time.sleep(CREATING_SECONDS + 0.2)
    blob = k1.encrypt(KeyId=kid, Plaintext=b"hello")["CiphertextBlob"]
    check("Decrypt MRK ciphertext in primary Region", 'ok "hello"', lambda: k1.decrypt(CiphertextBlob=blob)["Plaintext"].decode())
    check("Decrypt MRK ciphertext in replica Region", 'ok "hello"', lambda: k2.decrypt(CiphertextBlob=blob)["Plaintext"].decode())
    check("UpdatePrimaryRegion", "ok {}", lambda: {k: v for k, v in k1.update_primary_region(KeyId=kid, PrimaryRegion=R).items() if k != "ResponseMetadata"})
    check("replica CreateAlias", "ok {}", lambda: {k: v for k, v in k2.create_alias(AliasName="alias/probe", TargetKeyId=kid).items() if k != "ResponseMetadata"})
    check("replica CreateAlias again", "error HTTP 400 AlreadyExistsException", lambda: k2.create_alias(AliasName="alias/probe", TargetKeyId=kid))
    check("alias leaks into primary Region", "ok false",
          lambda: "alias/probe" in [a["AliasName"] for a in k1.list_aliases()["Aliases"]])
    check("replica DescribeKey alias/x", f'ok "{rarn}"', lambda: k2.describe_key(KeyId="alias/probe")["KeyMetadata"]["Arn"])
    check("replica DeleteAlias missing", "error HTTP 400 NotFoundException", lambda: k2.delete_alias(AliasName="alias/missing"))
    check("replica DisableKey KeyId=<key ARN>", "ok", lambda: k2.disable_key(KeyId=rarn) and None)
    check("replica EnableKey KeyId=<key ARN>", "ok", lambda: k2.enable_key(KeyId=rarn) and None)
    check("replica ScheduleKeyDeletion KeyId=<key ARN>", "ok", lambda: k2.schedule_key_deletion(KeyId=rarn, PendingWindowInDays=7)["KeyId"])
    check("replica CancelKeyDeletion KeyId=<key ARN>", f'ok "{rarn}"', lambda: k2.cancel_key_deletion(KeyId=rarn)["KeyId"])
    state = lambda: k2.describe_key(KeyId=kid)["KeyMetadata"]["KeyState"]  # noqa: E731
    if state() == "PendingDeletion":  # (plain moto: the by-ARN calls above failed)
        k2.cancel_key_deletion(KeyId=kid)
    check("ScheduleKeyDeletion response KeyId (by key id)", f'ok "{rarn}"',
          lambda: k2.schedule_key_deletion(KeyId=kid, PendingWindowInDays=7)["KeyId"])
    check("CancelKeyDeletion response KeyId (by key id)", f'ok "{rarn}"', lambda: k2.cancel_key_deletion(KeyId=kid)["KeyId"])
    check("KeyState after CancelKeyDeletion", 'ok "Disabled"', state)
    check("CancelKeyDeletion of a key not pending deletion", "error HTTP 400 KMSInvalidStateException", lambda: k2.cancel_key_deletion(KeyId=kid)["KeyId"])
    k2.disable_key(KeyId=kid)
    check("Encrypt with a disabled key", "error HTTP 400 DisabledException", lambda: k2.encrypt(KeyId=kid, Plaintext=b"x")["KeyId"])
    check("ReplicateKey of a single-Region key", "error HTTP 400 UnsupportedOperationException",
          lambda: k1.replicate_key(KeyId=k1.create_key()["KeyMetadata"]["KeyId"], ReplicaRegion=R))
    name = f"/probe/{int(time.time() * 1000)}"
    check("SSM PutParameter Tags + Overwrite", "error HTTP 400 ValidationException",
          lambda: s1.put_parameter(Name=name, Value="v", Type="String", Overwrite=True, Tags=[{"Key": "k", "Value": "v"}]))
    s1.put_parameter(Name=name, Value="v", Type="String", Tags=[{"Key": "k", "Value": "v"}])
    s1.add_tags_to_resource(ResourceType="Parameter", ResourceId=name, Tags=[{"Key": "k2", "Value": "v2"}])
    check("SSM AddTagsToResource + ListTagsForResource", 'ok ["k", "k2"]',
          lambda: sorted(t["Key"] for t in s1.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]))
    check("SSM GetParameters missing name", 'ok ["/probe/missing"]', lambda: s1.get_parameters(Names=[name, "/probe/missing"])["InvalidParameters"])
    check("SSM DescribeParameters Name filter", "ok 1", lambda: len(s1.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]))
    check("SSM DeleteParameters missing name", 'ok ["/probe/missing"]', lambda: s1.delete_parameters(Names=[name, "/probe/missing"])["InvalidParameters"])
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m mrk_harness.localaws.probe")
    p.add_argument("--plain", action="store_true", help="probe moto without the fidelity patches")
    args = p.parse_args(argv)
    with LocalAws(creating_seconds=CREATING_SECONDS, fidelity=not args.plain) as aws:
        rows = run(aws)
    width = max(len(r[0]) for r in rows)
    for name, aws_does, got in rows:
        same = got == aws_does or (aws_does == "ok" and got.startswith("ok")) or got.startswith(aws_does.split(" (")[0])
        print(f"{'same ' if same else 'DIFF '} {name:<{width}}  got: {got[:110]}  | AWS: {aws_does}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
