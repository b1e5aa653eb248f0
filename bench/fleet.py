"""The fleet figures: many instances at SSM's quota at once (`fleet`), many instances replicating keys at
KMS's quotas at once (`kms-fleet`), and how soon a replica key's Create answers once the replica has left
`Creating` (`replica-ready`)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from common import median
from mrk_harness import Function, Stack, create_primary_key
from mrk_harness.fleet import count_parameters, run_fleet
from mrk_harness.kms_fleet import run_kms_fleet
from mrk_harness.localaws import KMS_DEFAULT_QUOTAS
from processes import PEER_JS, Child, Runner, wait_for_put

FLEET = "fleet"
FLEET_SIZES = (10, 30, 50)
FLEET_NAMES = 20
FLEET_REGIONS = ["eu-west-1", "eu-central-1", "ap-southeast-2"]
FLEET_TPS = 40
FLEET_DEADLINE_S = 300  # the function's Timeout in template.yaml
FLEET_TARGET = 1.3  # total time at most this times the bound

KMS_FLEET = "kms-fleet"
KMS_FLEET_SIZES = (15, 30)
KMS_FLEET_REGIONS = ["eu-west-1", "ap-southeast-2", "us-west-2"]
KMS_FLEET_TARGET = 1.3  # the Creates at most this times the bound

REPLICA_READY = "replica-ready"
CREATING_SECONDS = (1, 3, 10, 30, 60)
READY_REGION = "eu-west-1"


def most_in_one_second(times: list[float]) -> int:
    """The most calls that started within any one second (a window [t, t + 1 s))."""
    times = sorted(times)
    return max((sum(1 for other in times[index:] if other < start + 1.0) for index, start in enumerate(times)),
               default=0)


def fleet_bound_s(instances: int) -> float:
    return instances * FLEET_NAMES / FLEET_TPS


class FleetFigures:
    """The runs of both figures, on the bench's local AWS and ResponseURL receiver."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self.aws = runner.aws

    def fleet(self) -> dict[str, Any]:
        sizes: dict[str, Any] = {}
        for instances in FLEET_SIZES:
            runs = []
            for run in range(self.runner.slow_runs):
                result = run_fleet(self.aws, self.runner.workdir, instances=instances, names=FLEET_NAMES,
                                   regions=FLEET_REGIONS, tps=FLEET_TPS, prefix=f"/fleet/k{instances}r{run}",
                                   binary=self.runner.bootstrap, deadline_in=FLEET_DEADLINE_S,
                                   timeout=FLEET_DEADLINE_S + 30)
                runs.append(result.summary())
                print(f"  {FLEET}: {instances} instances, run {run + 1}: ours {result.wall_s:.2f} s "
                      f"(bound {result.bound_s:g} s), {result.failed} failed, {result.written} written, "
                      f"{result.throttled_calls} of {result.ssm_calls} calls throttled", flush=True)
            peer = self.fleet_peer(instances)
            sizes[str(instances)] = {
                "bound_s": fleet_bound_s(instances),
                "wall_s_median": round(median([r["wall_s"] for r in runs]), 2),
                "wall_s_worst": max(r["wall_s"] for r in runs),
                "failed_worst_run": max(r["failed"] for r in runs),
                "missing_writes_worst_run": max(r["expected"] - r["written"] for r in runs),
                "runs": runs, "peer": peer,
            }
        return {"names": FLEET_NAMES, "regions": FLEET_REGIONS, "tps_per_region": FLEET_TPS, "sizes": sizes}

    def kms_fleet(self) -> dict[str, Any]:
        """K instances at once, each creating, then updating, then deleting its own replica key into the same
        3 regions, KMS held to its default quotas per operation and region (mrk_harness.kms_fleet)."""
        sizes: dict[str, Any] = {}
        for instances in KMS_FLEET_SIZES:
            runs = []
            for run in range(self.runner.slow_runs):
                result = run_kms_fleet(self.aws, self.runner.workdir, instances=instances, regions=KMS_FLEET_REGIONS,
                                       binary=self.runner.bootstrap, deadline_in=FLEET_DEADLINE_S,
                                       timeout=FLEET_DEADLINE_S + 30)
                runs.append(result.summary())
                print(f"  {KMS_FLEET}: {instances} keys, run {run + 1}: " + "; ".join(
                    f"{p.request_type} {p.wall_s:.2f} s (bound {p.bound_s:g} s, {p.busiest}), {p.failed} failed, "
                    f"{len(p.problems)} wrong after, {p.throttled_calls} of {p.kms_calls} calls throttled"
                    for p in result.phases), flush=True)
            creates = [next(p for p in r["phases"] if p["request_type"] == "Create") for r in runs]
            sizes[str(instances)] = {
                "bound_s": instances * len(KMS_FLEET_REGIONS) / KMS_DEFAULT_QUOTAS["ReplicateKey"],
                "create_wall_s_median": round(median([c["wall_s"] for c in creates]), 2),
                "create_wall_s_worst": max(c["wall_s"] for c in creates),
                "failed_worst_run": max(sum(p["failed"] for p in r["phases"]) for r in runs),
                "wrong_after_worst_run": max(sum(p["problem_count"] for p in r["phases"]) for r in runs),
                "phases_completed_worst_run": min(len(r["phases"]) for r in runs),
                "runs": runs,
            }
        return {"regions": KMS_FLEET_REGIONS, "quotas": KMS_DEFAULT_QUOTAS, "sizes": sizes}

    def fleet_peer(self, instances: int) -> dict[str, Any]:
        """The same fleet of CDK export writers: it handles one region per resource, so each instance is
        three resources, three processes, started at once."""
        prefix = f"/fleet/cdk{instances}"
        self.aws.clear_calls()
        self.aws.faults(service="ssm", tps=FLEET_TPS)
        children, answers = [], []
        run_id = uuid.uuid4().hex[:8]
        try:
            started = time.monotonic()
            for index in range(instances):
                stack = Stack(f"fleet-cdk-{run_id}-{index:03d}")
                exports = {f"{prefix}/i{index:03d}/p{n:03d}": f"value-{n}" for n in range(FLEET_NAMES)}
                for region in FLEET_REGIONS:
                    request_id = str(uuid.uuid4())
                    event = self.runner.peer_event(
                        "Custom::CrossRegionExportWriter", f"ExportsWriter{region.replace('-', '')}",
                        {"WriterProps": {"region": region, "exports": exports}}, stack)(
                        self.runner.receiver.url(request_id), request_id)
                    event_file = self.runner.workdir / f"event-{request_id}.json"
                    event_file.write_text(json.dumps(event))
                    argv = [self.runner.node, str(PEER_JS), "ssm-writer", str(event_file),
                            str(self.runner.workdir / f"m-{request_id}")]
                    children.append((request_id, Child(argv, self.runner.lambda_env("us-east-1"),
                                                       self.runner.workdir / "fleet-cdk.log")))
            for request_id, child in children:
                put = wait_for_put(self.runner.receiver, request_id, child)
                answers.append((put.at, put.json()))
        finally:
            for _, child in children:
                child.reap(5.0) or child.stop()
            self.aws.clear_faults()
        calls = self.aws.calls(service="ssm")
        failed = sum(1 for _, body in answers if body["Status"] != "SUCCESS")
        written = count_parameters(self.aws, FLEET_REGIONS, prefix)
        result = {
            "processes": len(children), "wall_s": round(max(at for at, _ in answers) - started, 2),
            "failed": failed, "written": written, "expected": instances * FLEET_NAMES * len(FLEET_REGIONS),
            "ssm_calls": len(calls), "throttled_calls": sum(1 for c in calls if c.get("fault") == "tps"),
            "reasons": sorted({(body.get("Reason") or "").splitlines()[0][:200] for _, body in answers
                               if body["Status"] != "SUCCESS"}),
        }
        print(f"  {FLEET}: {instances} instances: CDK writer ({len(children)} processes) {result['wall_s']:.2f} s, "
              f"{failed} failed, {written} written", flush=True)
        return result

    def replica_ready(self) -> dict[str, Any]:
        """A ReplicaKey Create into one region, with the local AWS keeping the replica `Creating` for each of
        CREATING_SECONDS: how long after it left `Creating` the answer came, and how often it was polled."""
        kms = self.aws.client("kms", "us-east-1")
        function = Function(self.aws.endpoint, self.runner.workdir / "ready.log", env={"LOG_LEVEL": "info"},
                            binary=self.runner.bootstrap)
        rows = {}
        try:
            for seconds in CREATING_SECONDS:
                self.aws.configure(creating_seconds=float(seconds))
                primary = create_primary_key(kms, f"bench ready {seconds}")["Arn"]
                stack = Stack(f"bench-ready-{seconds}-{uuid.uuid4().hex[:8]}")
                self.aws.clear_calls()
                answer = function.send("Create", "Custom::ReplicaKey", "Ready",
                                       {"PrimaryKeyArn": primary, "ReplicaRegions": [READY_REGION]}, stack,
                                       deadline_in=FLEET_DEADLINE_S, timeout=FLEET_DEADLINE_S)
                if answer.status != "SUCCESS":
                    raise RuntimeError(f"{REPLICA_READY}: the Create failed: {answer.reason}")
                describes = [c for c in self.aws.calls(service="kms", region=READY_REGION)
                             if c.get("operation") == "DescribeKey"]
                late = answer.answered_after - seconds
                per_second = most_in_one_second([call["time"] for call in describes])
                rows[str(seconds)] = {"answered_after_s": round(answer.answered_after, 3), "late_s": round(late, 3),
                                      "describe_key_calls": len(describes), "describe_key_per_second": per_second}
                print(f"  {REPLICA_READY}: Creating for {seconds} s: answered after {answer.answered_after:.2f} s "
                      f"({late:.2f} s late), {len(describes)} DescribeKey calls", flush=True)
        finally:
            self.aws.configure(creating_seconds=0.0)
            function.close()
        return {"region": READY_REGION, "creating_seconds": rows,
                "late_s_worst": max(r["late_s"] for r in rows.values()),
                "describe_key_per_second_worst": max(r["describe_key_per_second"] for r in rows.values())}
