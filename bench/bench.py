"""`make bench`: cold start, memory, package size and stack wait time, ours against the CDK's handlers.

Everything runs in one go on the same local AWS (mrk_harness.localaws, moto on 127.0.0.1), with the
end-to-end harness's Lambda Runtime API and ResponseURL receiver:

1. Cold invocation, spawn → answer PUT, a fresh process each run, ours and the peer alternately:
   (a) a ReplicaKey Create into one region, against the CDK `AwsCustomResource` doing KMS.replicateKey;
   (b) a CrossRegionParameter Create of 5 parameters into one region, against the CDK's cross-region
       SSM export writer; (c) a reader Create of one parameter from another region, against
       `AwsCustomResource` doing SSM.getParameter (the seeds' "SSMParameterReader").
2. Init: spawn → the first `GET /runtime/invocation/next`.
3. Peak RSS of each process in (1): its VmHWM once it has answered (ours: read from /proc after the
   invocation's result is posted, before it is stopped; a peer: read by the wrapper just before it exits).
   Not wait4's `ru_maxrss`: the kernel folds the pre-exec high-water mark into it, and a child forked
   from this Python process starts with the parent's ~70 MiB.
4. The zipped arm64 `bootstrap` that Lambda runs.
5. Fan-out: a ReplicaKey Create into 1, 4 and 10 regions, 100 ms added to every KMS call.
6. Bulk: 200 parameters into 3 regions under a 40 TPS limit per region.

Beside 1b it runs a reference (bench/floor): a client that makes only the calls a 5-name
CrossRegionParameter Create needs (no SDK, no TLS setup, no signing), to show what the local AWS and
the harness take by themselves.

It prints a table, writes the results as JSON, and marks each target met or not; it fails only when a
measurement itself could not be made (a run answered FAILED, a process hung, ...).

    .venv/bin/python bench/bench.py --bootstrap target/release/bootstrap \\
        --artifact target/lambda/bootstrap/bootstrap
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import io
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from mrk_harness import ACCOUNT, FUNCTION_ARN, ROOT, Function, ResponseReceiver, RuntimeApi, Stack, cfn_strings
from mrk_harness.localaws import LocalAws

BENCH = Path(__file__).resolve().parent
PEER_JS = BENCH / "peer.js"
PEER_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:cdk-peer"
MIB = 1024 * 1024
EM_AARCH64 = 183

# A value as long as a replica key ARN, for every parameter written.
VALUE = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/mrk-0123456789abcdef0123456789abcdef"
FANOUT_REGIONS = ["eu-west-1", "eu-west-2", "eu-central-1", "ap-southeast-1", "ap-southeast-2",
                  "ap-northeast-1", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1"]
BULK_REGIONS = ["eu-west-1", "eu-central-1", "ap-southeast-2"]
BULK_NAMES = 200
BULK_TPS = 40
FANOUT_LATENCY_MS = 100
PROCESS_TIMEOUT = 60.0  # a cold run that has not answered by then is broken, not slow
QUIET_BUSY = 0.15  # the share of CPU time other work may take before the run starts

# Targets, as the issue sets them. MB here is 10^6 bytes, the stricter reading.
INIT_TARGET_MS = 10.0
COLD_SPEEDUP_TARGET = 10.0
RSS_TARGET_BYTES = 20_000_000
ZIP_TARGET_BYTES = 6_000_000
FANOUT_TARGET = 1.3
BULK_BOUND_S = BULK_NAMES * len(BULK_REGIONS) / BULK_TPS
BULK_TARGET_S = 1.25 * BULK_BOUND_S


class BenchError(RuntimeError):
    """A measurement that could not be made."""


def median(values: list[float]) -> float:
    return statistics.median(values)


def summary(values: list[float], digits: int = 2) -> dict[str, Any]:
    return {"median": round(median(values), digits), "min": round(min(values), digits),
            "max": round(max(values), digits), "samples": [round(v, digits) for v in values]}


# --------------------------------------------------------------------------------------- processes
class Child:
    """A process that is reaped with wait4, so that its exit is noticed without blocking."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self._log = open(log, "ab")
        self.started = time.monotonic()
        self.process = subprocess.Popen(argv, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self.rusage: Any = None
        self.status: int | None = None

    def reap(self, block_for: float = 0.0) -> bool:
        """Reaps the process if it has ended, waiting at most `block_for` seconds; True once reaped."""
        end = time.monotonic() + block_for
        while self.rusage is None:
            pid, status, rusage = os.wait4(self.process.pid, os.WNOHANG)
            if pid:
                self.rusage, self.status = rusage, os.waitstatus_to_exitcode(status)
                self.process.returncode = self.status
                self._log.close()
                break
            if time.monotonic() >= end:
                return False
            time.sleep(0.002)
        return True

    def vm_hwm_kib(self) -> int | None:
        """VmHWM (peak RSS) from /proc while the process still runs."""
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return None

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 5 s; always reaps."""
        if self.reap():
            return
        self.process.send_signal(signal.SIGTERM)
        if not self.reap(5.0):
            self.process.kill()
            self.reap(5.0)

def wait_for_put(receiver: ResponseReceiver, request_id: str, child: Child) -> Any:
    """The answer PUT for `request_id`; the time measured is the receiver's arrival stamp, not this poll's."""
    end = child.started + PROCESS_TIMEOUT
    while time.monotonic() < end:
        puts = receiver.for_request(request_id)
        if puts:
            return puts[0]
        if child.rusage is not None or child.reap():
            puts = receiver.for_request(request_id)
            if puts:
                return puts[0]
            raise BenchError(f"{child.process.args[0]} exited ({child.status}) without answering {request_id}")
        time.sleep(0.002)
    raise BenchError(f"no answer PUT for {request_id} within {PROCESS_TIMEOUT} s")


@dataclass
class ColdRun:
    wall_ms: float
    peak_rss_bytes: int  # VmHWM
    init_ms: float | None  # ours: spawn → first GET next; a peer: spawn → handler module loaded
    status: str
    aws_calls: int
    aws_busy_ms: float  # from the first call reaching the local AWS to its last answer


def aws_busy_ms(calls: list[dict[str, Any]]) -> float:
    """How long the local AWS was working for a run: the first call's arrival to the last call's answer
    (its call log has each call's arrival time and how long it took to answer)."""
    timed = [c for c in calls if c.get("ms") is not None]
    if not timed:
        return 0.0
    return (max(c["time"] + c["ms"] / 1000 for c in timed) - min(c["time"] for c in timed)) * 1000


def succeeded(put: Any, what: str) -> str:
    body = put.json()
    if body.get("Status") != "SUCCESS":
        raise BenchError(f"{what} answered {body.get('Status')}: {body.get('Reason')}")
    return body["Status"]


# -------------------------------------------------------------------------------------- the runner
class Bench:
    def __init__(self, aws: LocalAws, bootstrap: Path, workdir: Path, runs: int, slow_runs: int,
                 reference: Path | None = None) -> None:
        self.aws = aws
        self.bootstrap = bootstrap
        self.reference = reference  # the 1b reference client (bench/floor), if built
        self.workdir = workdir
        self.runs = runs
        self.slow_runs = slow_runs
        self.receiver = ResponseReceiver()
        self.node = shutil.which("node") or "node"
        self._serial = 0

    def close(self) -> None:
        self.receiver.close()

    def next_serial(self) -> int:
        self._serial += 1
        return self._serial

    def lambda_env(self, region: str) -> dict[str, str]:
        """What Lambda gives every function process, for ours and the peers alike."""
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/tmp"),
            "AWS_LAMBDA_FUNCTION_NAME": "bench",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/bench",
            "AWS_LAMBDA_LOG_STREAM_NAME": "2026/11/22/[$LATEST]bench",
            "LOG_LEVEL": "info",
            **self.aws.env(region),
        }

    # ------------------------------------------------------------------------------ cold runs
    def cold_ours(self, region: str, event_for: Callable[[str, str], dict],
                  extra_env: dict[str, str] | None = None, binary: Path | None = None) -> ColdRun:
        """One cold run of our bootstrap (or of another Runtime API client, `binary`)."""
        runtime = RuntimeApi()
        request_id = str(uuid.uuid4())
        event = event_for(self.receiver.url(request_id), request_id)
        # Lambda starts a process because an invocation is waiting: queue it, then spawn.
        invoked: dict[str, Any] = {}
        thread = threading.Thread(
            target=lambda: invoked.update(result=runtime.invoke(event, timeout=PROCESS_TIMEOUT)), daemon=True)
        thread.start()
        env = {**self.lambda_env(region), "AWS_LAMBDA_RUNTIME_API": runtime.address, **(extra_env or {})}
        self.aws.clear_calls()
        child = Child([str(binary or self.bootstrap)], env, self.workdir / "ours.log")
        try:
            put = wait_for_put(self.receiver, request_id, child)
            thread.join(timeout=PROCESS_TIMEOUT)  # the invocation ends when its result is posted
            hwm = child.vm_hwm_kib()
        finally:
            child.stop()  # it would poll for the next invocation forever
            runtime.close()
        if "result" not in invoked:
            raise BenchError("the function answered but did not post the invocation's result")
        if runtime.first_next_at is None or hwm is None:
            raise BenchError("the function answered without asking the Runtime API, or its VmHWM was unreadable")
        return ColdRun(wall_ms=(put.at - child.started) * 1000, peak_rss_bytes=hwm * 1024,
                       init_ms=(runtime.first_next_at - child.started) * 1000,
                       status=succeeded(put, f"ours ({event['ResourceType']})"), **self.calls_made())

    def cold_peer(self, which: str, region: str, event_for: Callable[[str, str], dict]) -> ColdRun:
        request_id = str(uuid.uuid4())
        event = event_for(self.receiver.url(request_id), request_id)
        event_file = self.workdir / f"event-{request_id}.json"
        marks_file = self.workdir / f"marks-{request_id}.json"
        event_file.write_text(json.dumps(event))
        self.aws.clear_calls()
        child = Child([self.node, str(PEER_JS), which, str(event_file), str(marks_file)], self.lambda_env(region),
                      self.workdir / f"{which}.log")
        try:
            put = wait_for_put(self.receiver, request_id, child)
            if not child.reap(PROCESS_TIMEOUT):
                raise BenchError(f"the {which} process did not exit after answering")
        finally:
            child.stop()
        try:
            marks = json.loads(marks_file.read_text())
        except (OSError, ValueError) as error:
            raise BenchError(f"the {which} process left no marks ({error}); see its log") from error
        if marks.get("error") or not marks.get("vm_hwm_kib"):
            raise BenchError(f"the {which} handler failed: {marks.get('error')}")
        return ColdRun(wall_ms=(put.at - child.started) * 1000, peak_rss_bytes=marks["vm_hwm_kib"] * 1024,
                       init_ms=int(marks["loaded_ns"]) / 1e6 - child.started * 1000,
                       status=succeeded(put, f"the peer {which}"), **self.calls_made())

    def calls_made(self) -> dict[str, Any]:
        calls = self.aws.calls()
        return {"aws_calls": len(calls), "aws_busy_ms": aws_busy_ms(calls)}

    def cold(self, name: str, region: str, ours: Callable[[int], Callable], peer_which: str,
             peer: Callable[[int], Callable], reference: Callable[[int], Callable] | None = None) -> dict[str, Any]:
        """One warm-up each (discarded: it fills the page cache), then `runs` alternating pairs (triples
        with the reference client, when there is one)."""
        runs: dict[str, list[ColdRun]] = {"ours": [], "peer": []}
        if reference is not None and self.reference is not None:
            runs["reference"] = []
        for index in range(self.runs + 1):
            run = {"ours": self.cold_ours(region, ours(self.next_serial())),
                   "peer": self.cold_peer(peer_which, region, peer(self.next_serial()))}
            if "reference" in runs:
                run["reference"] = self.cold_ours(region, reference(self.next_serial()), binary=self.reference)
            if index:
                for who, result in run.items():
                    runs[who].append(result)
            print(f"  {name}: run {index or 'warm-up'}: " + ", ".join(
                f"{who} {r.wall_ms:.1f} ms {r.peak_rss_bytes / MIB:.1f} MiB" for who, r in run.items()), flush=True)
        return {who: describe_cold(results) for who, results in runs.items()}

    # ---------------------------------------------------------------------------------- events
    def ours_event(self, resource_type: str, logical_id: str, properties: dict, stack: Stack) -> Callable:
        return self.event(FUNCTION_ARN, resource_type, logical_id, properties, stack)

    def peer_event(self, resource_type: str, logical_id: str, properties: dict, stack: Stack) -> Callable:
        return self.event(PEER_ARN, resource_type, logical_id, properties, stack)

    @staticmethod
    def event(token: str, resource_type: str, logical_id: str, properties: dict, stack: Stack) -> Callable:
        """A Create event as CloudFormation sends it (every value a string), once the URL is known."""
        def build(url: str, request_id: str) -> dict:
            return {
                "RequestType": "Create",
                "ServiceToken": token,
                "ResponseURL": url,
                "StackId": stack.stack_id,
                "RequestId": request_id,
                "LogicalResourceId": logical_id,
                "ResourceType": resource_type,
                "ResourceProperties": cfn_strings({"ServiceToken": token, **properties}),
            }
        return build

    def warm_local_aws(self) -> None:
        """moto builds a region's backend on its first call (SSM's loads the public parameters, about a
        second): touch every region once, so that no measured run pays for that."""
        for region in sorted({"us-east-1", *FANOUT_REGIONS, *BULK_REGIONS}):
            self.aws.client("kms", region).list_keys()
            self.aws.client("ssm", region).describe_parameters()

    def new_primary_key(self) -> str:
        key = self.aws.client("kms", "us-east-1").create_key(MultiRegion=True, Description="bench primary")
        return key["KeyMetadata"]["Arn"]

    # ---------------------------------------------------------------------------------- figures
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

        return self.cold("1a ReplicaKey", "us-east-1", ours, "aws-custom-resource", peer)

    def cold_parameters(self) -> dict[str, Any]:
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

        return self.cold("1b CrossRegionParameter", "us-east-1", provider_event("ours"), "ssm-writer", peer,
                         provider_event("floor"))

    def cold_reader(self) -> dict[str, Any]:
        name = "/bench/source/primary-key-arn"
        self.aws.client("ssm", "us-east-1").put_parameter(Name=name, Value=VALUE, Type="String", Overwrite=True)
        stack = Stack("bench-consumer", "eu-west-1")

        def ours(serial: int) -> Callable:
            return self.ours_event("Custom::CrossRegionParameterReader", "PrimaryKeyArn",
                                   {"Region": "us-east-1", "Names": [name]}, stack)

        def peer(serial: int) -> Callable:
            # The seeds' SSMParameterReader: an AwsCustomResource with only onUpdate, which the
            # construct also uses as onCreate; a physical id that changes on every deployment.
            call = json.dumps({"service": "SSM", "action": "getParameter", "parameters": {"Name": name},
                               "region": "us-east-1", "physicalResourceId": {"id": str(time.time_ns())}})
            return self.peer_event("Custom::AWS", "PrimaryKeyArnReader",
                                   {"Create": call, "Update": call, "InstallLatestAwsSdk": False}, stack)

        return self.cold("1c reader", "eu-west-1", ours, "aws-custom-resource", peer)

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
                    print(f"  5 fan-out: run {run or 'warm-up'}: {n:2d} regions {answer.answered_after * 1000:.0f} ms"
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
                print(f"  6 bulk: run {run + 1}: ours {answer.answered_after:.2f} s {answer.status}, {found} written, "
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
        print(f"  6 bulk: run {run + 1}: CDK writer {wall:.2f} s {'/'.join(result['statuses'])}, {found} written, "
              f"{throttled} calls throttled", flush=True)
        return result

    def count_parameters(self, prefix: str) -> int:
        """How many parameters under `prefix` exist, over all bulk regions (read with no faults active)."""
        found = 0
        for region in BULK_REGIONS:
            pages = self.aws.client("ssm", region).get_paginator("get_parameters_by_path")
            for page in pages.paginate(Path=prefix, Recursive=True, PaginationConfig={"MaxItems": 10_000}):
                found += len(page["Parameters"])
        return found


def describe_cold(runs: list[ColdRun]) -> dict[str, Any]:
    return {
        "wall_ms": summary([r.wall_ms for r in runs]),
        "peak_rss_mib": summary([r.peak_rss_bytes / MIB for r in runs]),
        "peak_rss_bytes_median": int(median([r.peak_rss_bytes for r in runs])),
        "init_ms": summary([r.init_ms for r in runs if r.init_ms is not None]),
        "aws_calls": sorted({r.aws_calls for r in runs}),
        "aws_busy_ms": summary([r.aws_busy_ms for r in runs]),
    }


# -------------------------------------------------------------------------------------- artifact
def artifact(path: Path) -> dict[str, Any]:
    """The zipped `bootstrap` as Lambda gets it: deflate, level 9, mode 0755."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF":
        raise BenchError(f"{path} is not an ELF file")
    machine = int.from_bytes(data[18:20], "little")
    if machine != EM_AARCH64:
        raise BenchError(f"{path} is not an arm64 binary (ELF machine {machine}); run `make build`")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        info = zipfile.ZipInfo("bootstrap", date_time=(2026, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o100755 << 16
        archive.writestr(info, data, compresslevel=9)
    return {"path": str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path),
            "built_at": datetime.datetime.fromtimestamp(path.stat().st_mtime, datetime.UTC)
            .isoformat(timespec="seconds"),
            "sha256": hashlib.sha256(data).hexdigest(), "binary_bytes": len(data), "zip_bytes": len(buffer.getvalue())}


# --------------------------------------------------------------------------------------- machine
def cpu_jiffies() -> tuple[int, int]:
    """(all, idle) CPU time of the machine so far, in clock ticks, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]  # up to steal
    return sum(fields), fields[3] + fields[4]  # idle + iowait


def cpu_busy(seconds: float = 1.0) -> float:
    """The share of all CPUs busy over `seconds`, whoever keeps them busy."""
    total0, idle0 = cpu_jiffies()
    time.sleep(seconds)
    total1, idle1 = cpu_jiffies()
    return 1.0 - (idle1 - idle0) / max(1, total1 - total0)


class OtherWork:
    """How much of the machine's CPU time went to anything but this run (this process and every child it
    has reaped: the local AWS, the function processes, the peers) between start() and share()."""

    @staticmethod
    def _ours() -> float:
        times = os.times()
        return times.user + times.system + times.children_user + times.children_system

    def start(self) -> "OtherWork":
        self.jiffies, self.ours = cpu_jiffies(), self._ours()
        return self

    def share(self) -> float:
        (total0, idle0), (total1, idle1) = self.jiffies, cpu_jiffies()
        tick = os.sysconf("SC_CLK_TCK")
        busy_s = ((total1 - total0) - (idle1 - idle0)) / tick
        return max(0.0, busy_s - (self._ours() - self.ours)) / max(1e-9, (total1 - total0) / tick)


def wait_for_quiet(limit_s: float) -> dict[str, Any]:
    """Waits (at most `limit_s`) until other work leaves the CPUs mostly idle: a busy machine skews every
    cold figure. Goes on regardless after the limit, and says so in the results."""
    end = time.monotonic() + limit_s
    busy = cpu_busy()
    waited = 0.0
    while busy > QUIET_BUSY and time.monotonic() < end:
        if waited == 0.0:
            print(f"the CPUs are {busy:.0%} busy; waiting up to {limit_s:g} s for them to quieten", flush=True)
        time.sleep(4.0)
        waited += 5.0
        busy = cpu_busy()
    return {"cpu_busy_at_start": round(busy, 3), "waited_s": waited, "quiet": busy <= QUIET_BUSY}


def command_output(argv: list[str]) -> str | None:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=30, cwd=ROOT).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def package_version(name: str) -> str | None:
    try:
        return json.loads((BENCH / "node_modules" / name / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    mem_kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal:"))
    from importlib.metadata import version

    dirty = command_output(["git", "status", "--porcelain", "--", "src", "Cargo.toml", "Cargo.lock"])
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "arch": platform.machine(),
        "versions": {
            "commit": (command_output(["git", "rev-parse", "--short", "HEAD"]) or "unknown")
            + (" (src changed)" if dirty else ""),
            "rustc": command_output(["rustc", "--version"]),
            "node": command_output(["node", "--version"]),
            "python": platform.python_version(),
            "moto": version("moto"),
            "aws-cdk-lib": package_version("aws-cdk-lib"),
            "@aws-sdk/client-ssm": package_version("@aws-sdk/client-ssm"),
            "@aws-sdk/client-kms": package_version("@aws-sdk/client-kms"),
        },
    }


# ---------------------------------------------------------------------------------------- report
def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    f = results["figures"]
    rows = []

    def add(name: str, target: str, measured: str, met: bool | None) -> None:
        rows.append({"figure": name, "target": target, "measured": measured, "met": met})

    inits = [s for key in ("replica_key", "parameters", "reader") for s in f["cold"][key]["ours"]["init_ms"]["samples"]]
    add("2 init", f"< {INIT_TARGET_MS:g} ms", f"{median(inits):.1f} ms", median(inits) < INIT_TARGET_MS)
    for key, label in (("replica_key", "1a"), ("parameters", "1b"), ("reader", "1c")):
        cold = f["cold"][key]
        speedup = cold["peer"]["wall_ms"]["median"] / cold["ours"]["wall_ms"]["median"]
        measured = f"{speedup:.1f}x"
        if "reference" in cold:
            reference = cold["peer"]["wall_ms"]["median"] / cold["reference"]["wall_ms"]["median"]
            measured += f" (reference client: {reference:.1f}x)"
        add(f"{label} cold", f">= {COLD_SPEEDUP_TARGET:g}x faster than the CDK handler", measured,
            speedup >= COLD_SPEEDUP_TARGET)
    worst_rss = max(f["cold"][key]["ours"]["peak_rss_bytes_median"] for key in ("replica_key", "parameters", "reader"))
    add("3 peak RSS", "< 20 MB", f"{worst_rss / 1e6:.1f} MB ({worst_rss / MIB:.1f} MiB), the largest of 1a-1c",
        worst_rss < RSS_TARGET_BYTES)
    if "artifact" in f:
        size = f["artifact"]["zip_bytes"]
        add("4 zipped arm64 bootstrap", "< 6 MB", f"{size / 1e6:.2f} MB ({size / MIB:.2f} MiB)",
            size < ZIP_TARGET_BYTES)
    else:
        add("4 zipped arm64 bootstrap", "< 6 MB", "not measured: " + results["skipped"]["artifact"], None)
    ratio = f["fanout"]["ratio_10_to_1"]
    add("5 fan-out 10/1", f"< {FANOUT_TARGET:g}", f"{ratio:.2f}", ratio < FANOUT_TARGET)
    bulk = f["bulk"]
    wall = bulk["wall_s"]["median"]
    add("6 bulk", f"<= {BULK_TARGET_S:g} s (1.25 x {BULK_BOUND_S:g} s), 0 failed writes",
        f"{wall:.2f} s, {bulk['failed_writes_worst_run']} failed writes",
        wall <= BULK_TARGET_S and bulk["failed_writes_worst_run"] == 0 and bulk["failed_answers"] == 0)
    return rows


def table(results: dict[str, Any]) -> str:
    f = results["figures"]
    m = results["machine"]
    lines = [
        f"mrk-provider benchmarks, {m['date']}: {m['cpu']}, {m['cpus']} CPUs, {m['memory_gib']} GiB, "
        f"Linux {m['kernel']} {m['arch']}",
        f"ours: native release build ({m['arch']}; Lambda runs the arm64 build); peers: aws-cdk-lib "
        f"{m['versions']['aws-cdk-lib']} on node {m['versions']['node']}; local AWS: moto {m['versions']['moto']}",
        f"medians of {results['method']['cold_runs']} runs (1-3) and {results['method']['slow_runs']} runs (5, 6); "
        f"CPUs {m['cpu_busy_at_start']:.0%} busy before the start, {m['other_work_cpu_share']:.0%} of them taken by "
        f"other work during the run{'' if m['quiet'] else ' (NOT QUIET: the figures are skewed)'}; "
        f"load average {m['load_average_at_start'][0]} at the start, {m['load_average_at_end'][0]} at the end",
        "",
    ]
    rows: list[tuple[str, ...]] = [("figure", "ours", "peer", "ours/peer", "peer")]
    cold_names = {"replica_key": ("1a cold ReplicaKey Create, 1 region", "AwsCustomResource KMS.replicateKey"),
                  "parameters": ("1b cold CrossRegionParameter, 5 names", "CDK export writer"),
                  "reader": ("1c cold reader Create, 1 name", "AwsCustomResource SSM.getParameter")}
    for key, (label, peer) in cold_names.items():
        c = f["cold"][key]
        o, p = c["ours"]["wall_ms"]["median"], c["peer"]["wall_ms"]["median"]
        rows.append((label, f"{o:.1f} ms", f"{p:.1f} ms", f"{o / p:.3f}", peer))
        if "reference" in c:
            r = c["reference"]["wall_ms"]["median"]
            rows.append((f"   {label.split(' ', 1)[0]} reference client (bench/floor)", f"{r:.1f} ms", f"{p:.1f} ms",
                         f"{r / p:.3f}", "only the calls: no SDK, no TLS setup, no signing"))
    for key, (label, _) in cold_names.items():
        c = f["cold"][key]
        o, p = c["ours"]["aws_busy_ms"]["median"], c["peer"]["aws_busy_ms"]["median"]
        calls = "/".join(str(n) for n in c["ours"]["aws_calls"]), "/".join(str(n) for n in c["peer"]["aws_calls"])
        rows.append((f"   local AWS busy in {label.split(' ', 1)[0]}", f"{o:.1f} ms", f"{p:.1f} ms", "-",
                     f"first call in -> last answer out; calls: ours {calls[0]}, peer {calls[1]}"))
        if "reference" in c:
            rows.append((f"   local AWS busy in {label.split(' ', 1)[0]}, reference client",
                         f"{c['reference']['aws_busy_ms']['median']:.1f} ms", "-", "-", ""))
    inits = [s for key in cold_names for s in f["cold"][key]["ours"]["init_ms"]["samples"]]
    loads = [s for key in cold_names for s in f["cold"][key]["peer"].get("init_ms", {}).get("samples", [])]
    rows.append(("2 init: spawn -> first GET next", f"{median(inits):.1f} ms",
                 f"{median(loads):.1f} ms" if loads else "-", f"{median(inits) / median(loads):.3f}" if loads else "-",
                 "peer: spawn -> handler loaded"))
    for key, (label, peer) in cold_names.items():
        c = f["cold"][key]
        o, p = c["ours"]["peak_rss_mib"]["median"], c["peer"]["peak_rss_mib"]["median"]
        rows.append((f"3 peak RSS, {label.split(' ', 2)[2]}", f"{o:.1f} MiB", f"{p:.1f} MiB", f"{o / p:.3f}", peer))
    if "artifact" in f:
        a = f["artifact"]
        rows.append(("4 zipped arm64 bootstrap", f"{a['zip_bytes'] / MIB:.2f} MiB", "-", "-",
                     f"unzipped {a['binary_bytes'] / MIB:.2f} MiB"))
    fan = f["fanout"]
    for n in ("1", "4", "10"):
        rows.append((f"5 fan-out ReplicaKey, {n} regions", f"{fan['regions'][n]['wall_s']['median'] * 1000:.0f} ms",
                     "-", "-", f"{FANOUT_LATENCY_MS} ms per KMS call"))
    rows.append(("5 fan-out ratio 10/1", f"{fan['ratio_10_to_1']:.2f}", "-", "-", "1.0 = all in parallel"))
    bulk = f["bulk"]
    rows.append((f"6 bulk {BULK_NAMES} x {len(BULK_REGIONS)} regions, {BULK_TPS} TPS",
                 f"{bulk['wall_s']['median']:.2f} s",
                 f"{bulk['peer']['wall_s']['median']:.2f} s", "-", f"bound {BULK_BOUND_S:g} s; peer: CDK writer x3"))
    rows.append(("6 bulk failed writes, worst run", str(bulk["failed_writes_worst_run"]),
                 str(bulk["peer"]["failed_writes_worst_run"]), "-",
                 f"of {BULK_NAMES * len(BULK_REGIONS)}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) if i in (0, 4) else cell.rjust(widths[i])
                               for i, cell in enumerate(row)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines += ["", "targets:"]
    for row in results["targets"]:
        mark = {True: "met", False: "NOT MET", None: "not measured"}[row["met"]]
        lines.append(f"  {mark:<12} {row['figure']:<26} {row['target']:<52} measured {row['measured']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", type=Path, default=ROOT / "target" / "release" / "bootstrap",
                        help="our native release binary (figures 1-3, 5, 6)")
    parser.add_argument("--artifact", type=Path, default=ROOT / "target" / "lambda" / "bootstrap" / "bootstrap",
                        help="the arm64 bootstrap that `make build` makes (figure 4)")
    parser.add_argument("--reference", type=Path, default=ROOT / "target" / "release" / "mrk-bench-floor",
                        help="the 1b reference client that `make bench` builds from bench/floor (optional)")
    parser.add_argument("--runs", type=int, default=7, help="cold runs per figure (after one warm-up)")
    parser.add_argument("--slow-runs", type=int, default=3, help="fan-out and bulk runs")
    parser.add_argument("--json", type=Path, default=BENCH / "results.json")
    parser.add_argument("--quiet-wait", type=float, default=180.0,
                        help="seconds to wait at most for other work to leave the CPUs idle (0: do not wait)")
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= 50 or not 1 <= args.slow_runs <= 10:
        parser.error("--runs must be 1-50 and --slow-runs 1-10")
    bootstrap = args.bootstrap.resolve()
    if not bootstrap.exists():
        parser.error(f"{bootstrap} is missing: run `cargo build --release` first")
    if not (BENCH / "node_modules" / "aws-cdk-lib").exists():
        parser.error("bench/node_modules is missing: run `npm ci --prefix bench` first")
    os.environ["MRK_BOOTSTRAP"] = str(bootstrap)  # the harness's Function runs this binary
    reference = args.reference.resolve() if args.reference.exists() else None

    results: dict[str, Any] = {"figures": {}, "skipped": {}}
    quiet = wait_for_quiet(max(0.0, min(args.quiet_wait, 900.0)))
    started, other_work = time.monotonic(), OtherWork().start()
    with LocalAws(creating_seconds=0.0) as aws, tempfile.TemporaryDirectory(prefix="mrk-bench-") as tmp:
        results["machine"] = {**machine(), **quiet}
        results["method"] = {
            "cold_runs": args.runs, "slow_runs": args.slow_runs,
            "ours": {"binary": str(bootstrap.relative_to(ROOT) if bootstrap.is_relative_to(ROOT) else bootstrap),
                     "build": "cargo build --release (native); Lambda runs the arm64 build",
                     "bytes": bootstrap.stat().st_size},
            "cold": "fresh process per run, spawn -> answer PUT at the ResponseURL receiver; one discarded "
                    "warm-up per side, then ours, the peer (and in 1b the reference client) in turn",
            "peak_rss": "VmHWM once the process has answered (ours: from /proc after the invocation's result is "
                        "posted; peers: read by bench/peer.js just before exit)",
        }
        if reference is None:
            results["skipped"]["reference"] = f"{args.reference} is missing (make bench builds it from bench/floor)"
        else:
            results["method"]["reference"] = {
                "binary": str(reference.relative_to(ROOT) if reference.is_relative_to(ROOT) else reference),
                "what": "1b only: GET next, the same 5 PutParameter bodies at once (a thread and a connection "
                        "each), the answer PUT; no AWS SDK, no TLS setup, no signing, no retries, no logs"}
        bench = Bench(aws, bootstrap, Path(tmp), args.runs, args.slow_runs, reference)
        try:
            bench.warm_local_aws()
            print("1-3 cold invocations", flush=True)
            results["figures"]["cold"] = {
                "replica_key": bench.cold_replica_key(),
                "parameters": bench.cold_parameters(),
                "reader": bench.cold_reader(),
            }
            print("5 fan-out", flush=True)
            results["figures"]["fanout"] = bench.fanout()
            print("6 bulk", flush=True)
            results["figures"]["bulk"] = bench.bulk()
        finally:
            bench.close()
    print("4 artifact", flush=True)
    if args.artifact.exists():
        results["figures"]["artifact"] = artifact(args.artifact.resolve())
    else:
        results["skipped"]["artifact"] = f"{args.artifact} is missing (run `make build`)"
    results["seconds"] = round(time.monotonic() - started, 1)
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["machine"]["other_work_cpu_share"] = round(other_work.share(), 3)
    results["machine"]["quiet"] = quiet["quiet"] and results["machine"]["other_work_cpu_share"] <= QUIET_BUSY
    results["targets"] = targets(results)
    text = table(results)
    results["table"] = text.splitlines()
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(text)
    print(f"\nwrote {args.json.relative_to(ROOT) if args.json.resolve().is_relative_to(ROOT) else args.json} "
          f"in {results['seconds']} s")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        sys.exit(1)
