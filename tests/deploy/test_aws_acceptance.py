"""tests/deploy/aws_acceptance.py (`make test-aws`) without AWS: its opt-in, and that a run deletes every
stack it created whatever fails, with a fake AWS."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import aws_acceptance as acceptance
from aws_acceptance import PRIMARY_REGION, REPLICA_REGION, Acceptance, Names

SCRIPT = Path(acceptance.__file__)


def run_script(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """The script as `make test-aws` runs it, with no AWS configuration at all (and no instance metadata
    lookup: nothing may leave this machine)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and not k.startswith("MRK_")}
    clean.update(HOME=str(tmp_path), AWS_CONFIG_FILE=str(tmp_path / "none"),
                 AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"), AWS_EC2_METADATA_DISABLED="true", **env)
    return subprocess.run([sys.executable, str(SCRIPT)], env=clean, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("opt_in", [None, "0", "yes"])
def test_without_opt_in_it_says_why_it_skipped_and_succeeds(tmp_path, opt_in):
    result = run_script(tmp_path, **({} if opt_in is None else {"MRK_TEST_AWS": opt_in}))
    assert result.returncode == 0, result.stderr
    assert "skipped" in result.stdout and "MRK_TEST_AWS=1" in result.stdout


def test_with_opt_in_but_no_credentials_it_fails_at_once(tmp_path):
    result = run_script(tmp_path, MRK_TEST_AWS="1")
    assert result.returncode == 2
    assert "no AWS credentials" in result.stderr


class FakeCloud:
    """Records what the run does; `fail` names the call that raises."""

    def __init__(self, fail: str | None = None, fail_delete: str | None = None) -> None:
        self.fail = fail
        self.fail_delete = fail_delete
        self.calls: list[tuple] = []
        self.stacks: set[tuple[str, str]] = set()
        self.parameters: dict[str, str] = {}
        self.primary = f"arn:aws:kms:{PRIMARY_REGION}:123456789012:key/mrk-0123456789abcdef0123456789abcdef"
        self.replica = self.primary.replace(PRIMARY_REGION, REPLICA_REGION)

    def _call(self, name: str, *args) -> None:
        self.calls.append((name, *args))
        if self.fail == name:
            raise RuntimeError(f"{name} failed")

    def deploy_provider(self, stack, region, parameters):
        self._call("deploy_provider", stack, region)
        assert parameters["AllowedRegions"] == f"{PRIMARY_REGION},{REPLICA_REGION}"
        self.stacks.add((stack, region))
        return {"ServiceToken": f"arn:aws:lambda:{region}:123456789012:function:{stack}"}

    def create_stack(self, stack, region, template, parameters):
        self._call("create_stack", stack, region)
        self.stacks.add((stack, region))
        if stack.endswith("-primary"):
            assert "/cross-region/" not in template
            self.parameters[parameters["ServiceToken"].rsplit("/", 1)[0] + "/app/key-arn"] = self.replica
            return {"PrimaryKeyArn": self.primary, "ReplicaKeyArn": self.replica}
        return {"QueueUrl": "https://sqs.eu-west-1.amazonaws.com/123456789012/q", "ReplicaKeyArn": self.replica}

    def delete_stack(self, stack, region):
        self.calls.append(("delete_stack", stack, region))
        if self.fail_delete == stack:
            raise RuntimeError("DELETE_FAILED")
        self.stacks.discard((stack, region))
        if stack.endswith("-primary"):
            self.parameters.clear()

    def parameter(self, region, name):
        self._call("parameter", region, name)
        value = self.parameters.get(name)
        return None if value is None else (value, {"mrk-provider:stack": "s", "mrk-provider:logical-id": "l"})

    def key_state(self, region, key_arn):
        self._call("key_state", region, key_arn)
        return "Enabled" if any(s.endswith("-primary") for s, _ in self.stacks) else "PendingDeletion"

    def encrypt(self, region, key_arn, plaintext):
        self._call("encrypt", region, key_arn)
        return b"sealed:" + plaintext

    def decrypt(self, region, key_arn, ciphertext):
        self._call("decrypt", region, key_arn)
        return ciphertext.removeprefix(b"sealed:"), key_arn

    def queue_round_trip(self, region, queue_url, body):
        self._call("queue_round_trip", region, queue_url)
        return body, self.replica


def deletions(cloud: FakeCloud) -> list[str]:
    return [call[1].rsplit("-", 1)[1] for call in cloud.calls if call[0] == "delete_stack"]


def test_a_good_run_passes_and_deletes_consumer_then_primary_then_provider():
    cloud = FakeCloud()
    assert Acceptance(cloud, Names("t1")).run() == 0
    assert deletions(cloud) == ["consumer", "primary", "provider"]
    assert cloud.stacks == set()
    assert ("encrypt", PRIMARY_REGION, cloud.primary) in cloud.calls
    assert ("decrypt", REPLICA_REGION, cloud.replica) in cloud.calls


@pytest.mark.parametrize("failing, deleted", [
    ("deploy_provider", ["provider"]),
    ("parameter", ["primary", "provider"]),
    ("create_stack", ["primary", "provider"]),
    ("decrypt", ["consumer", "primary", "provider"]),
    ("queue_round_trip", ["consumer", "primary", "provider"]),
])
def test_a_failing_run_fails_and_still_deletes_every_stack_it_created_newest_first(failing, deleted):
    cloud = FakeCloud(fail=failing)
    assert Acceptance(cloud, Names("t2")).run() == 1
    assert deletions(cloud) == deleted
    assert cloud.stacks == set()


def test_a_stack_that_cannot_be_deleted_does_not_stop_the_others(capsys):
    cloud = FakeCloud(fail="decrypt", fail_delete="mrk-accept-t3-primary")
    assert Acceptance(cloud, Names("t3")).run() == 1
    assert deletions(cloud) == ["consumer", "primary", "provider"]
    assert "LEFT BEHIND: mrk-accept-t3-primary" in capsys.readouterr().out


def test_a_provider_that_leaves_its_parameter_behind_fails_the_run():
    class Leaky(FakeCloud):
        def delete_stack(self, stack, region):
            saved = dict(self.parameters)
            super().delete_stack(stack, region)
            self.parameters.update(saved)

    cloud = Leaky()
    assert Acceptance(cloud, Names("t4")).run() == 1
    assert cloud.stacks == set()


def test_keep_on_failure_leaves_the_stacks_for_inspection():
    cloud = FakeCloud(fail="decrypt")
    assert Acceptance(cloud, Names("t5"), keep_on_failure=True).run() == 1
    assert deletions(cloud) == []


def test_the_primary_example_is_moved_under_the_run_prefix():
    names = Names("t6")
    text = acceptance.primary_template(names)
    assert "/cross-region/" not in text
    assert f"{names.prefix}app/key-arn:" in text
    assert names.key_arn_parameter == f"{names.prefix}app/key-arn"
