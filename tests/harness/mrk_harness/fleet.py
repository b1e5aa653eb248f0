"""A fleet: many function instances writing into the same regions at once, as CloudFormation runs the
independent resources of many stacks in parallel, each custom resource its own invocation.

`run_fleet` starts `instances` processes of the bootstrap binary, lets them initialize, then sends
each one a `Custom::CrossRegionParameter` Create of `names` parameters into the same regions, all at
once, from its own stack, with SSM limited to `tps` calls a second per region (the local AWS's `tps`
fault: a token bucket per region, as SSM's quota is per account and region). It reports what
CloudFormation would see (each answer) and what the local AWS saw (parameters written, calls
throttled). Used by the end-to-end suite (a small fleet) and `make bench` (the fleet figure).
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable
from typing import Any

from .lambda_runtime import Answer, Function, Stack

RESOURCE_TYPE = "Custom::CrossRegionParameter"


@dataclass
class FleetRun:
    instances: int
    names: int
    regions: list[str]
    tps: float
    wall_s: float  # from the first event sent to the last answer received
    statuses: list[str]
    reasons: list[str]
    written: int  # parameters found afterwards, over all regions
    ssm_calls: int
    throttled_calls: int
    answered_after_s: list[float] = field(default_factory=list)

    @property
    def bound_s(self) -> float:
        """The least time the writes can take: each region's writes at `tps` a second."""
        return self.instances * self.names / self.tps

    @property
    def failed(self) -> int:
        return sum(1 for status in self.statuses if status != "SUCCESS")

    @property
    def expected(self) -> int:
        return self.instances * self.names * len(self.regions)

    def summary(self) -> dict[str, Any]:
        return {
            "instances": self.instances, "names": self.names, "regions": len(self.regions), "tps": self.tps,
            "wall_s": round(self.wall_s, 2), "bound_s": round(self.bound_s, 2),
            "wall_to_bound": round(self.wall_s / self.bound_s, 3), "failed": self.failed,
            "written": self.written, "expected": self.expected, "ssm_calls": self.ssm_calls,
            "throttled_calls": self.throttled_calls,
            "reasons": sorted({reason.splitlines()[0][:200] for reason in self.reasons if reason}),
        }


def count_parameters(aws: Any, regions: list[str], prefix: str) -> int:
    """How many parameters under `prefix` exist, over `regions` (read with no faults active)."""
    found = 0
    for region in regions:
        pages = aws.client("ssm", region).get_paginator("get_parameters_by_path")
        for page in pages.paginate(Path=prefix, Recursive=True, PaginationConfig={"MaxItems": 100_000}):
            found += len(page["Parameters"])
    return found


def send_at_once(instances: int, send: Callable[[int], Answer],
                 timeout: float) -> tuple[list[Answer | None], list[str], float]:
    """Calls `send(index)` for every instance at once, each in its own thread released together; returns
    the answers (None where `send` raised), what was raised, and when they were released."""
    answers: list[Answer | None] = [None] * instances
    errors: list[str] = []
    start = threading.Barrier(instances + 1)

    def run(index: int) -> None:
        try:
            start.wait(timeout=60)
            answers[index] = send(index)
        except Exception as error:  # noqa: BLE001 - reported as the instance's outcome
            errors.append(f"instance {index}: {error}")

    threads = [threading.Thread(target=run, args=(index,), daemon=True) for index in range(instances)]
    for thread in threads:
        thread.start()
    start.wait(timeout=60)
    sent_at = time.monotonic()
    for thread in threads:
        thread.join(timeout=timeout + 30)
    return answers, errors, sent_at


def run_fleet(aws: Any, workdir: Path, *, instances: int, names: int, regions: list[str], tps: float,
              prefix: str, binary: Path | None = None, deadline_in: float = 300.0,
              timeout: float = 330.0) -> FleetRun:
    """Runs one fleet (see the module) and leaves the local AWS without faults."""
    # moto builds a region's SSM backend on its first call, loading the public parameters (seconds when
    # many calls arrive at once): build them before the clock starts.
    for region in regions:
        aws.client("ssm", region).describe_parameters(MaxResults=1)
    functions = [Function(aws.endpoint, workdir / f"fleet-{index:03d}.log", env={"LOG_LEVEL": "info"},
                          binary=binary) for index in range(instances)]
    try:
        run_id = uuid.uuid4().hex[:8]
        stacks = [Stack(f"fleet-{run_id}-{index:03d}") for index in range(instances)]
        events = []
        for index, (function, stack) in enumerate(zip(functions, stacks)):
            function.register("Create", RESOURCE_TYPE, "Shared", stack)
            parameters = {f"{prefix}/i{index:03d}/p{n:03d}": f"value-{n}" for n in range(names)}
            events.append({"Regions": regions, "Parameters": parameters})
        aws.clear_calls()
        aws.faults(service="ssm", tps=tps)

        def send(index: int) -> Answer:
            return functions[index].send("Create", RESOURCE_TYPE, "Shared", events[index], stacks[index],
                                         deadline_in=deadline_in, timeout=timeout, register=False)

        answers, errors, sent_at = send_at_once(instances, send, timeout)
        calls = aws.calls(service="ssm")
    finally:
        aws.clear_faults()
        for function in functions:
            function.close()
    done = [answer for answer in answers if answer is not None and answer.puts]
    statuses = [answer.status for answer in done] + ["NO ANSWER"] * (instances - len(done))
    return FleetRun(
        instances=instances, names=names, regions=list(regions), tps=tps,
        wall_s=max((answer.puts[-1].at for answer in done), default=sent_at) - sent_at,
        statuses=statuses,
        reasons=[answer.reason for answer in done if answer.status != "SUCCESS"] + errors,
        written=count_parameters(aws, regions, prefix),
        ssm_calls=len(calls),
        throttled_calls=sum(1 for call in calls if call.get("fault") == "tps"),
        answered_after_s=sorted(answer.puts[-1].at - sent_at for answer in done),
    )
