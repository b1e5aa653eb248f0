"""`make demo`: the main flow (replicate a key, push its ARN across regions, read it back) through the
real binary on the local AWS, printed region by region.

1. A primary stack in us-east-1 has a multi-Region key (what `AWS::KMS::Key` with `MultiRegion: true`
   makes, tagged `mrk-provider:replicable` = `true`: its consent to be replicated), a `Custom::ReplicaKey`
   that replicates it into eu-west-1 and ap-southeast-2, and a `Custom::CrossRegionParameter` that writes
   the key's ARN into eu-west-1.
2. A consumer stack in eu-west-1 reads that parameter natively (`{{resolve:ssm:/app/primary-key-arn}}`),
   and a `Custom::CrossRegionParameterReader` reads it back from us-east-1 (the pull model), through the
   provider deployed in eu-west-1: CloudFormation calls the ServiceToken of the stack's own region.
3. Everything is deleted again, as CloudFormation does when the stacks are deleted.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from mrk_harness import Answer, Function, Stack, create_primary_key
from mrk_harness.localaws import LocalAws

REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]
PARAMETER = "/app/primary-key-arn"
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


def main() -> None:
    with LocalAws(creating_seconds=2.0) as aws, tempfile.TemporaryDirectory() as tmp:
        function = Function(aws.endpoint, Path(tmp) / "function.log", env={"PARAMETER_PREFIX": "/app/"})
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
            show("Custom::ReplicaKey Create",
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

            heading("Deleting the stacks")
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
        finally:
            function.close()
            consumer_function.close()


if __name__ == "__main__":
    main()
