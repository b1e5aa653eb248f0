"""`make demo`: the main flow (replicate a key, push its ARN across regions, read it back) through the
real binary on the local AWS, printed region by region.

1. A primary stack in us-east-1 has a multi-Region key (what `AWS::KMS::Key` with `MultiRegion: true`
   makes, tagged `mrk-provider:replicable` = `true`: its consent to be replicated), a `Custom::ReplicaKey`
   that replicates it into eu-west-1 and ap-southeast-2, and a `Custom::CrossRegionParameter` that writes
   the key's ARN into eu-west-1.
2. A consumer stack in eu-west-1 reads that parameter natively (`{{resolve:ssm:/app/primary-key-arn}}`),
   and a `Custom::CrossRegionParameterReader` reads it back from us-east-1 (the pull model), through the
   provider deployed in eu-west-1: CloudFormation calls the ServiceToken of the stack's own region.
3. Across accounts: the primary stack also pushes the eu-west-1 replica's ARN into a workload account's
   eu-west-1 (`RoleArn`: the role target-account.yaml creates there), where a stack resolves it natively,
   and reads a bucket ARN that a log archive account keeps (a reader with that account's role).
4. Everything is deleted again, as CloudFormation does when the stacks are deleted.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import boto3
from botocore.config import Config
from mrk_harness import Answer, Function, Stack, create_primary_key
from mrk_harness.localaws import LocalAws

REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]
PARAMETER = "/app/primary-key-arn"
WORKLOAD, ARCHIVE = "222222222222", "333333333333"
TARGET_ROLE = "arn:aws:iam::{account}:role/mrk-provider-target"
FUNCTION_ENV = {"PARAMETER_PREFIX": "/app/", "ASSUMABLE_ROLE_ARNS": TARGET_ROLE.format(account="*"),
                "PROVIDER_ROLE_ARN": "arn:aws:iam::123456789012:role/mrk-provider-MrkProviderRole"}
BOLD, DIM, GREEN, RED, RESET = ("\033[1m", "\033[2m", "\033[32m", "\033[31m", "\033[0m") if sys.stdout.isatty() \
    else ("", "", "", "", "")


def heading(text: str) -> None:
    print(f"\n{BOLD}== {text}{RESET}")


def show(what: str, answer: Answer) -> Answer:
    colour = GREEN if answer.status == "SUCCESS" else RED
    print(f"CloudFormation got {colour}{answer.status}{RESET} for {what} in {answer.seconds:.1f} s")
    print(f"  PhysicalResourceId  {answer.physical_id}")
    if answer.status != "SUCCESS":
        print(f"  Reason              {answer.reason}")
    for key, value in sorted(answer.data.items()):
        print(f"  Fn::GetAtt {key:<22} {value}")
    if answer.status != "SUCCESS":
        raise SystemExit(f"the demo stopped: {what} failed")
    return answer


def state(aws: LocalAws, title: str) -> None:
    heading(title)
    for region in REGIONS:
        print(f"{BOLD}{region}{RESET}")
        kms = aws.client("kms", region)
        aliases: dict[str, list[str]] = {}
        for alias in kms.list_aliases()["Aliases"]:
            if alias.get("TargetKeyId"):
                aliases.setdefault(alias["TargetKeyId"], []).append(alias["AliasName"])
        for key in kms.list_keys()["Keys"]:
            meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
            kind = (meta.get("MultiRegionConfiguration") or {}).get("MultiRegionKeyType", "single-Region")
            tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]}
            owner = tags.get("mrk-provider:logical-id")
            extra = f"  aliases: {', '.join(aliases[meta['KeyId']])}" if meta["KeyId"] in aliases else ""
            extra += f"  owner: {owner}" if owner else ""
            print(f"  key        {meta['KeyId']}  {kind:<8} {meta['KeyState']:<16}{extra}")
        ssm = aws.client("ssm", region)
        for parameter in ssm.describe_parameters()["Parameters"]:
            value = ssm.get_parameter(Name=parameter["Name"])["Parameter"]["Value"]
            print(f"  parameter  {parameter['Name']} = {value}")


def ssm_of(aws: LocalAws, account: str, region: str):
    """SSM of another account, as someone there sees it (the local AWS: an assumed role's credentials act
    in the role's account)."""
    found = aws.client("sts").assume_role(RoleArn=TARGET_ROLE.format(account=account),
                                          RoleSessionName="demo-viewer")["Credentials"]
    return boto3.session.Session().client(
        "ssm", region_name=region, endpoint_url=aws.endpoint, config=Config(proxies={}),
        aws_access_key_id=found["AccessKeyId"], aws_secret_access_key=found["SecretAccessKey"],
        aws_session_token=found["SessionToken"])


def accounts(aws: LocalAws, title: str) -> None:
    heading(title)
    for account, region in ((WORKLOAD, "eu-west-1"), (ARCHIVE, "us-east-1")):
        ssm = ssm_of(aws, account, region)
        names = [p["Name"] for p in ssm.describe_parameters()["Parameters"]]
        print(f"{BOLD}account {account}, {region}{RESET}")
        for name in names:
            print(f"  parameter  {name} = {ssm.get_parameter(Name=name)['Parameter']['Value']}")
        if not names:
            print("  (no parameters)")


def main() -> None:
    with LocalAws(creating_seconds=2.0) as aws, tempfile.TemporaryDirectory() as tmp:
        function = Function(aws.endpoint, Path(tmp) / "function.log", env=FUNCTION_ENV)
        consumer_function = Function(aws.endpoint, Path(tmp) / "function-eu-west-1.log",
                                     env={"PARAMETER_PREFIX": "/app/"}, region="eu-west-1")
        primary_stack, consumer_stack = Stack("app-keys", "us-east-1"), Stack("app", "eu-west-1")
        try:
            heading("Primary stack (us-east-1): AWS::KMS::Key with MultiRegion: true, tagged "
                    "mrk-provider:replicable=true")
            arn = create_primary_key(aws.client("kms", "us-east-1"), "app data key")["Arn"]
            print(f"primary key {arn}")

            heading("Primary stack: Custom::ReplicaKey AppKeyReplicas (replicas stay Creating for 2 s)")
            replicas = {"PrimaryKeyArn": arn, "ReplicaRegions": ["eu-west-1", "ap-southeast-2"],
                        "Alias": "alias/app-data", "PendingWindowInDays": 7}
            made = show("Custom::ReplicaKey Create",
                        function.send("Create", "Custom::ReplicaKey", "AppKeyReplicas", replicas, primary_stack))

            heading("Primary stack: Custom::CrossRegionParameter KeyArnExport (push into eu-west-1)")
            export = {"Regions": ["eu-west-1"], "Parameters": {PARAMETER: arn}}
            exported = show("Custom::CrossRegionParameter Create",
                            function.send("Create", "Custom::CrossRegionParameter", "KeyArnExport", export,
                                          primary_stack))
            # The primary stack also keeps the ARN at home, as a plain AWS::SSM::Parameter would.
            aws.client("ssm", "us-east-1").put_parameter(Name=PARAMETER, Value=arn, Type="String")

            heading("Consumer stack (eu-west-1), with the provider deployed in eu-west-1")
            native = aws.client("ssm", "eu-west-1").get_parameter(Name=PARAMETER)["Parameter"]["Value"]
            print(f"{{{{resolve:ssm:{PARAMETER}}}}} in eu-west-1 resolves to {native}")
            reader = {"Region": "us-east-1", "Names": [PARAMETER]}
            read = show("Custom::CrossRegionParameterReader Create (pull from us-east-1)",
                        consumer_function.send("Create", "Custom::CrossRegionParameterReader", "PrimaryKeyArn",
                                               reader, consumer_stack))

            state(aws, "What is in each region now")

            heading(f"Primary stack: Custom::CrossRegionParameter ReplicaArnForWorkload (RoleArn: account "
                    f"{WORKLOAD}, eu-west-1)")
            push = {"Regions": ["eu-west-1"], "Parameters": {"/app/replica-key-arn": made.data["Arn.eu-west-1"]},
                    "RoleArn": TARGET_ROLE.format(account=WORKLOAD), "ExternalId": "workload-a"}
            pushed = show("Custom::CrossRegionParameter Create (into the workload account)",
                          function.send("Create", "Custom::CrossRegionParameter", "ReplicaArnForWorkload", push,
                                        primary_stack))
            native = ssm_of(aws, WORKLOAD, "eu-west-1").get_parameter(Name="/app/replica-key-arn")
            print(f"{{{{resolve:ssm:/app/replica-key-arn}}}} in account {WORKLOAD}, eu-west-1, resolves to "
                  f"{native['Parameter']['Value']}")

            heading(f"Primary stack: Custom::CrossRegionParameterReader ArchiveBucket (RoleArn: account {ARCHIVE})")
            ssm_of(aws, ARCHIVE, "us-east-1").put_parameter(
                Name="/app/logs/archive-bucket-arn", Value="arn:aws:s3:::org-log-archive", Type="String")
            pull = {"Region": "us-east-1", "Names": ["/app/logs/archive-bucket-arn"],
                    "RoleArn": TARGET_ROLE.format(account=ARCHIVE)}
            pulled = show("Custom::CrossRegionParameterReader Create (from the log archive account)",
                          function.send("Create", "Custom::CrossRegionParameterReader", "ArchiveBucket", pull,
                                        primary_stack))
            accounts(aws, "What the other accounts hold now")

            heading("Deleting the stacks")
            show("Custom::CrossRegionParameterReader Delete (log archive account)",
                 function.send("Delete", "Custom::CrossRegionParameterReader", "ArchiveBucket", pull,
                               primary_stack, physical_id=pulled.physical_id))
            show("Custom::CrossRegionParameter Delete (workload account)",
                 function.send("Delete", "Custom::CrossRegionParameter", "ReplicaArnForWorkload", push,
                               primary_stack, physical_id=pushed.physical_id))
            ssm_of(aws, ARCHIVE, "us-east-1").delete_parameter(Name="/app/logs/archive-bucket-arn")
            show("Custom::CrossRegionParameterReader Delete",
                 consumer_function.send("Delete", "Custom::CrossRegionParameterReader", "PrimaryKeyArn", reader,
                                        consumer_stack, physical_id=read.physical_id))
            show("Custom::CrossRegionParameter Delete",
                 function.send("Delete", "Custom::CrossRegionParameter", "KeyArnExport", export, primary_stack,
                               physical_id=exported.physical_id))
            show("Custom::ReplicaKey Delete",
                 function.send("Delete", "Custom::ReplicaKey", "AppKeyReplicas", replicas, primary_stack,
                               physical_id=arn))
            aws.client("ssm", "us-east-1").delete_parameter(Name=PARAMETER)
            state(aws, "After the Deletes: replicas pending deletion, exported parameter gone")
            accounts(aws, "The other accounts after the Deletes")
        finally:
            function.close()
            consumer_function.close()


if __name__ == "__main__":
    main()
