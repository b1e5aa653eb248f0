"""`make test-aws`: the acceptance test in a real AWS account. It runs only when you opt in with
MRK_TEST_AWS=1 and AWS credentials; otherwise it says why it skipped and exits 0.

With opt-in it creates, in the account of the credentials (use a test account):

1. the provider: template.yaml as `sam build` made it, deployed with `sam deploy` into us-east-1
   (AllowedRegions us-east-1,eu-west-1; a ParameterPrefix of its own, /mrk-accept/<run>/);
2. examples/two-stack-primary.yaml in us-east-1: a multi-Region key, its replica in eu-west-1 through
   Custom::ReplicaKey, and the replica's ARN written into eu-west-1 by Custom::CrossRegionParameter
   (the example's /cross-region/ names moved under the run's prefix);
3. examples/two-stack-consumer.yaml in eu-west-1: reads that parameter natively and encrypts an SQS queue
   with the replica.

Then it encrypts in us-east-1 with the primary key and decrypts in eu-west-1 with the replica, sends a
message through the queue, deletes the stacks in reverse order and checks that the provider removed what
it made (the replica is pending deletion, the parameter is gone). Whatever fails, the `finally` deletes
every stack the run created. The keys are scheduled for deletion after 7 days (KMS's minimum). `sam
deploy --resolve-s3` keeps its artifacts bucket (the aws-sam-cli-managed-default stack) for later runs.

Environment: MRK_TEST_AWS=1 (required); the usual AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, ...);
MRK_TEST_AWS_KEEP=1 to leave the stacks for inspection after a failure.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parents[2]
OPT_IN = "MRK_TEST_AWS"
KEEP = "MRK_TEST_AWS_KEEP"
PRIMARY_REGION, REPLICA_REGION = "us-east-1", "eu-west-1"
BUILT_TEMPLATE = ROOT / ".aws-sam" / "build" / "template.yaml"
EXAMPLE_PREFIX = "/cross-region/"
OWNER_TAGS = ("mrk-provider:stack", "mrk-provider:logical-id")
STACK_WAIT_SECONDS = 20 * 60


class Cloud(Protocol):
    """What the test does in AWS; `Aws` below does it for real, the unit tests fake it."""

    def deploy_provider(self, stack: str, region: str, parameters: dict[str, str]) -> dict[str, str]: ...
    def create_stack(self, stack: str, region: str, template: str, parameters: dict[str, str]) -> dict[str, str]: ...
    def delete_stack(self, stack: str, region: str) -> None: ...
    def parameter(self, region: str, name: str) -> tuple[str, dict[str, str]] | None: ...
    def key_state(self, region: str, key_arn: str) -> str | None: ...
    def encrypt(self, region: str, key_arn: str, plaintext: bytes) -> bytes: ...
    def decrypt(self, region: str, key_arn: str, ciphertext: bytes) -> tuple[bytes, str]: ...
    def queue_round_trip(self, region: str, queue_url: str, body: str) -> tuple[str, str]: ...


@dataclass
class Names:
    """Everything of one run is named after its id, so runs never collide and leftovers are findable."""

    run: str
    provider_stack: str = field(init=False)
    primary_stack: str = field(init=False)
    consumer_stack: str = field(init=False)
    prefix: str = field(init=False)
    service_token_parameter: str = field(init=False)
    key_arn_parameter: str = field(init=False)
    alias: str = field(init=False)

    def __post_init__(self) -> None:
        base = f"mrk-accept-{self.run}"
        self.provider_stack = f"{base}-provider"
        self.primary_stack = f"{base}-primary"
        self.consumer_stack = f"{base}-consumer"
        self.prefix = f"/mrk-accept/{self.run}/"
        self.service_token_parameter = f"{self.prefix}service-token"
        self.key_arn_parameter = f"{self.prefix}app/key-arn"
        self.alias = f"alias/{base}"

    @staticmethod
    def new() -> Names:
        return Names(f"{time.strftime('%m%d%H%M')}{secrets.token_hex(2)}")


def primary_template(names: Names) -> str:
    """examples/two-stack-primary.yaml with its parameter names under the run's prefix (they are map
    keys of the template, which no parameter can set)."""
    text = (ROOT / "examples" / "two-stack-primary.yaml").read_text()
    assert EXAMPLE_PREFIX in text, f"examples/two-stack-primary.yaml no longer writes under {EXAMPLE_PREFIX}"
    return text.replace(EXAMPLE_PREFIX, names.prefix)


def log(message: str) -> None:
    print(f"[test-aws {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Acceptance:
    """The main flow (replicate a key, push its ARN across regions, read it back), step by step; `run`
    returns the process exit code."""

    def __init__(self, cloud: Cloud, names: Names, keep_on_failure: bool = False) -> None:
        self.cloud = cloud
        self.names = names
        self.keep_on_failure = keep_on_failure
        self.created: list[tuple[str, str]] = []  # (stack, region), in creation order

    def run(self) -> int:
        failed = True
        try:
            self.flow()
            failed = False
            log("PASSED")
            return 0
        except Exception as err:  # noqa: BLE001 - any failure is reported, then everything is deleted
            log(f"FAILED: {type(err).__name__}: {err}")
            return 1
        finally:
            if failed and self.keep_on_failure:
                log(f"{KEEP}=1: left in place: {self.created}")
            else:
                self.delete_all()

    def step(self, what: str, action: Callable[[], Any]) -> Any:
        log(what)
        return action()

    def flow(self) -> None:
        n, cloud = self.names, self.cloud

        self.created.append((n.provider_stack, PRIMARY_REGION))
        provider = self.step(f"sam deploy {n.provider_stack} ({PRIMARY_REGION})", lambda: cloud.deploy_provider(
            n.provider_stack, PRIMARY_REGION, {
                "AllowedRegions": f"{PRIMARY_REGION},{REPLICA_REGION}",
                "ParameterPrefix": n.prefix,
                "ServiceTokenParameterName": n.service_token_parameter,
                "LogLevel": "debug",
                "LogRetentionInDays": "7",
            }))
        check(provider.get("ServiceToken", "").startswith("arn:"), f"no ServiceToken output: {provider}")

        self.created.append((n.primary_stack, PRIMARY_REGION))
        primary = self.step(f"create {n.primary_stack} ({PRIMARY_REGION})", lambda: cloud.create_stack(
            n.primary_stack, PRIMARY_REGION, primary_template(n),
            {"ServiceToken": n.service_token_parameter, "KeyAlias": n.alias}))
        primary_arn, replica_arn = primary["PrimaryKeyArn"], primary["ReplicaKeyArn"]
        check(replica_arn == primary_arn.replace(f":{PRIMARY_REGION}:", f":{REPLICA_REGION}:"),
              f"replica {replica_arn} is not the primary {primary_arn} in {REPLICA_REGION}")
        check(cloud.key_state(REPLICA_REGION, replica_arn) == "Enabled", "the replica is not Enabled")

        published = cloud.parameter(REPLICA_REGION, n.key_arn_parameter)
        check(published is not None, f"{n.key_arn_parameter} was not written into {REPLICA_REGION}")
        value, tags = published
        check(value == replica_arn, f"{n.key_arn_parameter} is {value}, expected {replica_arn}")
        check(all(tag in tags for tag in OWNER_TAGS), f"{n.key_arn_parameter} lacks the owner tags: {tags}")

        self.created.append((n.consumer_stack, REPLICA_REGION))
        consumer = self.step(f"create {n.consumer_stack} ({REPLICA_REGION})", lambda: cloud.create_stack(
            n.consumer_stack, REPLICA_REGION, (ROOT / "examples" / "two-stack-consumer.yaml").read_text(),
            {"ReplicaKeyArn": n.key_arn_parameter}))
        check(consumer["ReplicaKeyArn"] == replica_arn, f"the consumer read {consumer['ReplicaKeyArn']}")

        plaintext = f"mrk-provider acceptance {n.run}".encode()
        ciphertext = self.step(f"encrypt in {PRIMARY_REGION} with the primary",
                               lambda: cloud.encrypt(PRIMARY_REGION, primary_arn, plaintext))
        decrypted, key_used = self.step(f"decrypt in {REPLICA_REGION} with the replica",
                                        lambda: cloud.decrypt(REPLICA_REGION, replica_arn, ciphertext))
        check(decrypted == plaintext, "the replica decrypted something else")
        check(key_used == replica_arn, f"decrypted with {key_used}, not the replica")

        received, queue_key = self.step("a message through the queue encrypted with the replica",
                                        lambda: cloud.queue_round_trip(REPLICA_REGION, consumer["QueueUrl"], n.run))
        check(received == n.run, f"the queue returned {received!r}")
        check(queue_key == replica_arn, f"the queue is encrypted with {queue_key}")

        # Deleting is part of what is tested: the provider's Delete must remove what it made.
        self.delete(n.consumer_stack, REPLICA_REGION)
        self.delete(n.primary_stack, PRIMARY_REGION)
        check(cloud.parameter(REPLICA_REGION, n.key_arn_parameter) is None,
              f"{n.key_arn_parameter} is still in {REPLICA_REGION} after the delete")
        state = cloud.key_state(REPLICA_REGION, replica_arn)
        check(state in ("PendingDeletion", None), f"the replica is {state} after the delete")
        self.delete(n.provider_stack, PRIMARY_REGION)

    def delete(self, stack: str, region: str) -> None:
        self.step(f"delete {stack} ({region})", lambda: self.cloud.delete_stack(stack, region))
        self.created.remove((stack, region))

    def delete_all(self) -> None:
        """Deletes what is left, newest first (the consumer uses the replica, the primary stack needs the
        provider); one failure does not stop the others."""
        for stack, region in reversed(list(self.created)):
            try:
                self.delete(stack, region)
            except Exception as err:  # noqa: BLE001 - report and go on with the others
                log(f"LEFT BEHIND: {stack} in {region} could not be deleted: {err}")


class CheckFailed(AssertionError):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


class Aws:
    """The real thing: boto3 for CloudFormation, KMS, SSM and SQS, the SAM CLI for the provider."""

    def __init__(self, session: Any, sam: Path) -> None:
        from botocore.config import Config

        self.session = session
        self.sam = sam
        self.config = Config(retries={"mode": "standard", "max_attempts": 6}, connect_timeout=10, read_timeout=60)

    def client(self, service: str, region: str) -> Any:
        return self.session.client(service, region_name=region, config=self.config)

    def deploy_provider(self, stack: str, region: str, parameters: dict[str, str]) -> dict[str, str]:
        if not BUILT_TEMPLATE.is_file():
            raise CheckFailed(f"{BUILT_TEMPLATE} is missing: `make test-aws` runs `sam build` first")
        overrides = " ".join(f"{key}={value}" for key, value in parameters.items())
        command = [str(self.sam), "deploy", "--template-file", str(BUILT_TEMPLATE), "--stack-name", stack,
                   "--region", region, "--resolve-s3", "--capabilities", "CAPABILITY_IAM",
                   "--no-confirm-changeset", "--no-fail-on-empty-changeset",
                   "--parameter-overrides", overrides, "--tags", f"mrk-accept={stack}"]
        environment = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
        subprocess.run(command, cwd=ROOT, env=environment, check=True, timeout=STACK_WAIT_SECONDS)
        return self.outputs(stack, region)

    def create_stack(self, stack: str, region: str, template: str, parameters: dict[str, str]) -> dict[str, str]:
        cloudformation = self.client("cloudformation", region)
        cloudformation.create_stack(
            StackName=stack, TemplateBody=template, OnFailure="DO_NOTHING",
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
            Tags=[{"Key": "mrk-accept", "Value": stack}])
        self.wait(cloudformation, stack, "stack_create_complete")
        return self.outputs(stack, region)

    def delete_stack(self, stack: str, region: str) -> None:
        cloudformation = self.client("cloudformation", region)
        cloudformation.delete_stack(StackName=stack)
        self.wait(cloudformation, stack, "stack_delete_complete")

    def wait(self, cloudformation: Any, stack: str, waiter: str) -> None:
        from botocore.exceptions import WaiterError

        try:
            cloudformation.get_waiter(waiter).wait(
                StackName=stack, WaiterConfig={"Delay": 10, "MaxAttempts": STACK_WAIT_SECONDS // 10})
        except WaiterError as err:
            raise CheckFailed(f"{stack}: {waiter} failed: {self.failure_reasons(cloudformation, stack)}") from err

    @staticmethod
    def failure_reasons(cloudformation: Any, stack: str) -> str:
        try:
            events = cloudformation.describe_stack_events(StackName=stack)["StackEvents"]
        except Exception as err:  # noqa: BLE001 - the reasons only decorate the failure
            return f"(no events: {err})"
        reasons = [f"{e['LogicalResourceId']} {e['ResourceStatus']}: {e['ResourceStatusReason']}"
                   for e in events if e["ResourceStatus"].endswith("FAILED") and e.get("ResourceStatusReason")]
        return "; ".join(reversed(reasons)) or "no failed resource"

    def outputs(self, stack: str, region: str) -> dict[str, str]:
        [description] = self.client("cloudformation", region).describe_stacks(StackName=stack)["Stacks"]
        return {o["OutputKey"]: o["OutputValue"] for o in description.get("Outputs", [])}

    def parameter(self, region: str, name: str) -> tuple[str, dict[str, str]] | None:
        ssm = self.client("ssm", region)
        found = ssm.get_parameters(Names=[name])["Parameters"]
        if not found:
            return None
        tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
        return found[0]["Value"], {t["Key"]: t["Value"] for t in tags}

    def key_state(self, region: str, key_arn: str) -> str | None:
        kms = self.client("kms", region)
        try:
            return kms.describe_key(KeyId=key_arn)["KeyMetadata"]["KeyState"]
        except kms.exceptions.NotFoundException:
            return None

    def encrypt(self, region: str, key_arn: str, plaintext: bytes) -> bytes:
        return self.client("kms", region).encrypt(KeyId=key_arn, Plaintext=plaintext)["CiphertextBlob"]

    def decrypt(self, region: str, key_arn: str, ciphertext: bytes) -> tuple[bytes, str]:
        answer = self.client("kms", region).decrypt(KeyId=key_arn, CiphertextBlob=ciphertext)
        return answer["Plaintext"], answer["KeyId"]

    def queue_round_trip(self, region: str, queue_url: str, body: str) -> tuple[str, str]:
        sqs = self.client("sqs", region)
        key = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["KmsMasterKeyId"])["Attributes"]
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)
        for _ in range(6):
            messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=10).get("Messages", [])
            if messages:
                return messages[0]["Body"], key.get("KmsMasterKeyId", "")
        return "", key.get("KmsMasterKeyId", "")


def main(environ: dict[str, str] | None = None) -> int:
    environ = dict(os.environ if environ is None else environ)
    if environ.get(OPT_IN) != "1":
        print(f"test-aws: skipped: it deploys into a real AWS account and runs only when you opt in with "
              f"{OPT_IN}=1 and AWS credentials (see README, Deployment).")
        return 0
    import boto3

    session = boto3.Session()
    if session.get_credentials() is None:
        print(f"test-aws: {OPT_IN}=1 but no AWS credentials were found (set AWS_PROFILE or "
              "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY).", file=sys.stderr)
        return 2
    account = session.client("sts", region_name=PRIMARY_REGION).get_caller_identity()["Account"]
    names = Names.new()
    log(f"account {account}, run {names.run}: {PRIMARY_REGION} -> {REPLICA_REGION}")
    sam = Path(sys.executable).with_name("sam")
    return Acceptance(Aws(session, sam), names, keep_on_failure=environ.get(KEEP) == "1").run()


if __name__ == "__main__":
    sys.exit(main())
