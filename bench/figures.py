"""The figures: the scenarios that `make bench` times (cold Creates, fan-out, bulk), on top of the
process control in processes.py."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from collections.abc import Callable

from common import BenchError, median, summary
from mrk_harness import ACCOUNT, Function, Stack, create_primary_key
from mrk_harness.fleet import count_parameters
from processes import PEER_JS, PROCESS_TIMEOUT, Child, ColdRun, Runner, describe_cold, wait_for_put

# A value as long as a replica key ARN, for every parameter written.
VALUE = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/mrk-0123456789abcdef0123456789abcdef"
FANOUT_REGIONS = ["eu-west-1", "eu-west-2", "eu-central-1", "ap-southeast-1", "ap-southeast-2",
                  "ap-northeast-1", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1"]
BULK_REGIONS = ["eu-west-1", "eu-central-1", "ap-southeast-2"]
BULK_NAMES = 200
BULK_TPS = 40
FANOUT_LATENCY_MS = 100
BULK_BOUND_S = BULK_NAMES * len(BULK_REGIONS) / BULK_TPS

# The figures' names, as the table, results.json and docs/benchmarks.md give them. In results.json a
# figure's key is its name with underscores; the cold ones sit under "cold", without the "-cold".
COLD = {  # key: (name, what ours is sent, the peer it is measured against)
    "replica_key_1_region": ("replica-key-1-region-cold", "ReplicaKey Create, 1 region",
                             "AwsCustomResource KMS.replicateKey"),
    "writer_5_names": ("writer-5-names-cold", "CrossRegionParameter Create, 5 names", "CDK export writer"),
    "reader_1_name": ("reader-1-name-cold", "reader Create, 1 name", "AwsCustomResource SSM.getParameter"),
}
# The writer of writer-5-names-cold through RoleArn, against the same writer in the function's account.
CROSS_ACCOUNT = "writer-5-names-cross-account-cold"
TARGET_ROLE = "arn:aws:iam::222222222222:role/mrk-provider-target"
INIT = "init"
PEAK_RSS = "peak-rss"
ARTIFACT_SIZE = "artifact-size"
FAN_OUT = "fan-out"
BULK = f"bulk-{BULK_NAMES}-names"


def key(name: str) -> str:
    """A figure's key in results.json."""
    return name.replace("-", "_")


class Bench(Runner):
    """Each figure's runs: the events it sends, the state it sets up in the local AWS, what it counts."""

    def warm_local_aws(self) -> None:
        """moto builds a region's backend on its first call (SSM's loads the public parameters, about a
        second): touch every region once, so that no measured run pays for that."""
        for region in sorted({"us-east-1", *FANOUT_REGIONS, *BULK_REGIONS}):
            self.aws.client("kms", region).list_keys()
            self.aws.client("ssm", region).describe_parameters()

    def new_primary_key(self) -> str:
        """A primary that consents to replication (the peer's replicateKey does not look at the tag)."""
        return create_primary_key(self.aws.client("kms", "us-east-1"), "bench primary")["Arn"]

    # ---------------------------------------------------------------------------------- figures
    def cold_figures(self) -> dict[str, Any]:
        return {"replica_key_1_region": self.cold_replica_key(), "writer_5_names": self.cold_writer(),
                "reader_1_name": self.cold_reader()}

    def cold_replica_key(self) -> dict[str, Any]:
        stack = Stack("bench-keys", "us-east-1")

        def ours(serial: int) -> Callable:
            return self.ours_event("Custom::ReplicaKey", "AppKeyReplicas",
                                   {"PrimaryKeyArn": self.new_primary_key(), "ReplicaRegions": ["eu-west-1"]}, stack)

        def peer(serial: int) -> Callable:
            call = {"service": "KMS", "action": "replicateKey",
                    "parameters": {"KeyId": self.new_primary_key(), "ReplicaRegion": "eu-west-1"},
                    "region": "us-east-1", "physicalResourceId": {"responsePath": "ReplicaKeyMetadata.Arn"},
                    "outputPaths": ["ReplicaKeyMetadata.Arn"]}
            return self.peer_event("Custom::AWS", "AppKeyReplica",
                                   {"Create": json.dumps(call), "InstallLatestAwsSdk": False}, stack)

        return self.cold(COLD["replica_key_1_region"][0], "us-east-1", ours, "aws-custom-resource", peer)

    def cold_writer(self) -> dict[str, Any]:
        stack = Stack("bench-export", "us-east-1")

        def names(who: str, serial: int) -> dict[str, str]:
            return {f"/bench/cold/{who}{serial:03d}/p{i}": VALUE for i in range(5)}

        def provider_event(who: str) -> Callable[[int], Callable]:
            """Our event, for ours and for the reference client alike; `who` keeps their names apart."""
            def event(serial: int) -> Callable:
                return self.ours_event("Custom::CrossRegionParameter", "KeyArnExport",
                                       {"Regions": ["eu-west-1"], "Parameters": names(who, serial)}, stack)
            return event

        def peer(serial: int) -> Callable:
            writer = {"region": "eu-west-1", "exports": names("cdk", serial)}
            return self.peer_event("Custom::CrossRegionExportWriter", "ExportsWriter", {"WriterProps": writer}, stack)

        return self.cold(COLD["writer_5_names"][0], "us-east-1", provider_event("ours"), "ssm-writer", peer,
                         provider_event("floor"))

    def cold_reader(self) -> dict[str, Any]:
        name = "/bench/source/primary-key-arn"
        self.aws.client("ssm", "us-east-1").put_parameter(Name=name, Value=VALUE, Type="String", Overwrite=True)
        stack = Stack("bench-consumer", "eu-west-1")

        def ours(serial: int) -> Callable:
            return self.ours_event("Custom::CrossRegionParameterReader", "PrimaryKeyArn",
                                   {"Region": "us-east-1", "Names": [name]}, stack)

        def peer(serial: int) -> Callable:
            # How a CDK app reads a parameter from another region without this provider: an
            # AwsCustomResource with only onUpdate (the construct also uses it as onCreate) calling SSM
            # getParameter, with a physical id that changes on every deployment, so it reads each time.
            call = json.dumps({"service": "SSM", "action": "getParameter", "parameters": {"Name": name},
                               "region": "us-east-1", "physicalResourceId": {"id": str(time.time_ns())}})
            return self.peer_event("Custom::AWS", "PrimaryKeyArnReader",
                                   {"Create": call, "Update": call, "InstallLatestAwsSdk": False}, stack)

        return self.cold(COLD["reader_1_name"][0], "eu-west-1", ours, "aws-custom-resource", peer)

    def cross_account_writer(self) -> dict[str, Any]:
        """writer-5-names-cold in the function's own account and through RoleArn (the local AWS's AssumeRole
        credentials act in the role's account), interleaved: what the role adds to a cold Create, in calls
        and in time, with the AssumeRole call's own server time."""
        stack = Stack("bench-export-xa", "us-east-1")
        env = {"ASSUMABLE_ROLE_ARNS": TARGET_ROLE}

        def event(serial: int, role: bool) -> Callable:
            props: dict[str, Any] = {"Regions": ["eu-west-1"],
                                     "Parameters": {f"/bench/xa/{serial:03d}/p{i}": VALUE for i in range(5)}}
            if role:
                props["RoleArn"] = TARGET_ROLE
            return self.ours_event("Custom::CrossRegionParameter", "KeyArnExport", props, stack)

        runs: dict[str, list[ColdRun]] = {"one_account": [], "cross_account": []}
        assume_ms: list[float] = []
        for index in range(self.runs + 1):
            run = {"one_account": self.cold_ours("us-east-1", event(self.next_serial(), False), env),
                   "cross_account": self.cold_ours("us-east-1", event(self.next_serial(), True), env)}
            calls = self.aws.calls(service="sts", operation="AssumeRole")  # the last run's
            if index:
                for who, result in run.items():
                    runs[who].append(result)
                assume_ms += [c["ms"] for c in calls if "ms" in c]
            print(f"  {CROSS_ACCOUNT}: run {index or 'warm-up'}: " + ", ".join(
                f"{who} {r.wall_ms:.1f} ms ({r.aws_calls} calls)" for who, r in run.items()), flush=True)
        result: dict[str, Any] = {who: describe_cold(results) for who, results in runs.items()}
        result["extra_ms_median"] = (result["cross_account"]["wall_ms"]["median"]
                                     - result["one_account"]["wall_ms"]["median"])
        result["assume_role_server_ms_median"] = median(assume_ms) if assume_ms else None
        return result

    def fanout(self) -> dict[str, Any]:
        counts = (1, 4, 10)
        keys = {(n, run): self.new_primary_key() for n in counts for run in range(self.slow_runs + 1)}
        stack = Stack("bench-fanout", "us-east-1")
        function = Function(self.aws.endpoint, self.workdir / "fanout.log", env={"LOG_LEVEL": "info"})
        walls: dict[int, list[float]] = {n: [] for n in counts}
        calls: dict[int, list[int]] = {n: [] for n in counts}
        try:
            self.aws.configure(creating_seconds=0.0)
            self.aws.faults(service="kms", latency_ms=FANOUT_LATENCY_MS)
            for run in range(self.slow_runs + 1):  # run 0 warms the process up and is discarded
                for n in counts:
                    self.aws.clear_calls()
                    answer = function.send("Create", "Custom::ReplicaKey", f"Replicas{n}x{run}",
                                           {"PrimaryKeyArn": keys[(n, run)], "ReplicaRegions": FANOUT_REGIONS[:n]},
                                           stack, timeout=120, deadline_in=120)
                    if answer.status != "SUCCESS":
                        raise BenchError(f"fan-out into {n} regions answered {answer.status}: {answer.reason}")
                    made = len(self.aws.calls(service="kms"))
                    print(f"  {FAN_OUT}: run {run or 'warm-up'}: {n:2d} regions {answer.answered_after * 1000:.0f} ms"
                          f" ({made} KMS calls)", flush=True)
                    if run:
                        walls[n].append(answer.answered_after)
                        calls[n].append(made)
        finally:
            self.aws.clear_faults()
            function.close()
        return {"latency_ms_per_call": FANOUT_LATENCY_MS,
                "regions": {str(n): {"wall_s": summary(walls[n], 3), "kms_calls": calls[n]} for n in counts},
                "ratio_10_to_1": round(median(walls[10]) / median(walls[1]), 3)}

    def bulk(self) -> dict[str, Any]:
        stack = Stack("bench-bulk", "us-east-1")
        function = Function(self.aws.endpoint, self.workdir / "bulk.log", env={"LOG_LEVEL": "info"})
        runs = []
        try:
            for run in range(self.slow_runs):
                prefix = f"/bulk/ours{run}"  # short: the Names attribute must fit in the 4096-byte answer
                parameters = {f"{prefix}/{i:03d}": VALUE for i in range(BULK_NAMES)}
                self.aws.clear_calls()
                self.aws.faults(service="ssm", tps=BULK_TPS)
                try:
                    answer = function.send("Create", "Custom::CrossRegionParameter", f"Bulk{run}",
                                           {"Regions": BULK_REGIONS, "Parameters": parameters}, stack,
                                           timeout=300, deadline_in=300)
                finally:
                    self.aws.clear_faults()
                found = self.count_parameters(prefix)
                throttled = sum(1 for c in self.aws.calls(service="ssm") if c["fault"] == "tps")
                failed = BULK_NAMES * len(BULK_REGIONS) - found
                runs.append({"wall_s": answer.answered_after, "status": answer.status, "reason": answer.reason,
                             "written": found, "failed_writes": failed, "throttled_calls": throttled})
                print(f"  {BULK}: run {run + 1}: ours {answer.answered_after:.2f} s {answer.status}, {found} written, "
                      f"{throttled} calls throttled", flush=True)
        finally:
            function.close()
        peer_runs = [self.bulk_peer(run) for run in range(self.slow_runs)]
        walls = [r["wall_s"] for r in runs]
        return {
            "names": BULK_NAMES, "regions": BULK_REGIONS, "tps_per_region": BULK_TPS,
            "bound_s": BULK_BOUND_S, "wall_s": summary(walls, 3),
            "failed_writes_worst_run": max(r["failed_writes"] for r in runs),
            "failed_answers": sum(1 for r in runs if r["status"] != "SUCCESS"),
            "runs": runs,
            "peer": {
                "wall_s": summary([r["wall_s"] for r in peer_runs], 3),
                "failed_writes_worst_run": max(r["failed_writes"] for r in peer_runs),
                "failed_answers": sum(r["failed_answers"] for r in peer_runs),
                "runs": peer_runs,
            },
        }

    def bulk_peer(self, run: int) -> dict[str, Any]:
        """The CDK writer handles one region per resource: three resources, three fresh processes at once."""
        prefix = f"/bulk/cdk{run}"
        stack = Stack("bench-bulk-cdk", "us-east-1")
        exports = {f"{prefix}/{i:03d}": VALUE for i in range(BULK_NAMES)}
        self.aws.clear_calls()
        self.aws.faults(service="ssm", tps=BULK_TPS)
        started, children, answers = time.monotonic(), [], []
        try:
            for region in BULK_REGIONS:
                request_id = str(uuid.uuid4())
                event = self.peer_event("Custom::CrossRegionExportWriter", f"ExportsWriter{region.replace('-', '')}",
                                        {"WriterProps": {"region": region, "exports": exports}}, stack)(
                    self.receiver.url(request_id), request_id)
                event_file = self.workdir / f"event-{request_id}.json"
                event_file.write_text(json.dumps(event))
                argv = [self.node, str(PEER_JS), "ssm-writer", str(event_file), str(self.workdir / f"m-{request_id}")]
                children.append((request_id, Child(argv, self.lambda_env("us-east-1"), self.workdir / "bulk-cdk.log")))
            for request_id, child in children:
                put = wait_for_put(self.receiver, request_id, child)
                answers.append((put.at, put.json()))
        finally:
            for _, child in children:
                child.reap(PROCESS_TIMEOUT) or child.stop()
            self.aws.clear_faults()
        found = self.count_parameters(prefix)
        throttled = sum(1 for c in self.aws.calls(service="ssm") if c["fault"] == "tps")
        wall = max(at for at, _ in answers) - started
        result = {"wall_s": wall, "statuses": [body["Status"] for _, body in answers],
                  "failed_answers": sum(1 for _, body in answers if body["Status"] != "SUCCESS"),
                  "reasons": sorted({(body.get("Reason") or "").splitlines()[0][:200] for _, body in answers
                                     if body["Status"] != "SUCCESS"}),
                  "written": found, "failed_writes": BULK_NAMES * len(BULK_REGIONS) - found,
                  "throttled_calls": throttled}
        print(f"  {BULK}: run {run + 1}: CDK writer {wall:.2f} s {'/'.join(result['statuses'])}, {found} written, "
              f"{throttled} calls throttled", flush=True)
        return result

    def count_parameters(self, prefix: str) -> int:
        """How many parameters under `prefix` exist, over all bulk regions (read with no faults active)."""
        return count_parameters(self.aws, BULK_REGIONS, prefix)
