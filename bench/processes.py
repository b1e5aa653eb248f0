"""Process control: starting our bootstrap and the CDK peers as fresh processes, reaping them, and
timing one cold run of each from spawn to the answer PUT."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from collections.abc import Callable

from common import BENCH, MIB, BenchError, median, summary
from mrk_harness import (
    ACCOUNT,
    LOOPBACK,
    TEST_ONLY_RESPONSE_URL_PREFIX,
    ResponseReceiver,
    RuntimeApi,
    Stack,
    cfn_strings,
    function_arn,
)
from mrk_harness.localaws import LocalAws

PEER_JS = BENCH / "peer.js"
PEER_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:cdk-peer"
PROCESS_TIMEOUT = 60.0  # a cold run that has not answered by then is broken, not slow


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
        """VmHWM (peak RSS) from /proc while the process still runs. Not wait4's ru_maxrss: that counts the
        memory this Python process had before the exec (docs/benchmarks.md)."""
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


def describe_cold(runs: list[ColdRun]) -> dict[str, Any]:
    return {
        "wall_ms": summary([r.wall_ms for r in runs]),
        "peak_rss_mib": summary([r.peak_rss_bytes / MIB for r in runs]),
        "peak_rss_bytes_median": int(median([r.peak_rss_bytes for r in runs])),
        "init_ms": summary([r.init_ms for r in runs if r.init_ms is not None]),
        "aws_calls": sorted({r.aws_calls for r in runs}),
        "aws_busy_ms": summary([r.aws_busy_ms for r in runs]),
    }



class Runner:
    """Starts the function and the peers for cold runs, with one ResponseURL receiver for all of them."""

    def __init__(self, aws: LocalAws, bootstrap: Path, workdir: Path, runs: int, slow_runs: int,
                 reference: Path | None = None) -> None:
        self.aws = aws
        self.bootstrap = bootstrap
        self.reference = reference  # the writer reference client (bench/floor), if built
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
            TEST_ONLY_RESPONSE_URL_PREFIX: LOOPBACK,
            **self.aws.env(region),
        }

    # ------------------------------------------------------------------------------ cold runs
    def cold_ours(self, region: str, event_for: Callable[[str, str], dict],
                  extra_env: dict[str, str] | None = None, binary: Path | None = None) -> ColdRun:
        """One cold run of our bootstrap (or of another Runtime API client, `binary`), deployed in `region`: the
        region of the stack whose event it gets."""
        runtime = RuntimeApi(function_arn(region))
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
        """Our Create event, for the provider in the stack's region; when it is built, the stack and the
        resource are registered with the local AWS as CloudFormation has them during a Create, for the
        function's DescribeStacks and DescribeStackResource (the reference client, which gets the same event,
        ignores them)."""
        build = self.event(function_arn(stack.region), resource_type, logical_id, properties, stack)

        def registered(url: str, request_id: str) -> dict:
            self.aws.register_stack(stack.stack_id, "CREATE_IN_PROGRESS",
                                    {logical_id: {"type": resource_type, "status": "CREATE_IN_PROGRESS"}})
            return build(url, request_id)
        return registered

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

