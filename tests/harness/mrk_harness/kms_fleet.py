"""A fleet of replica keys: many function instances creating, updating and deleting `Custom::ReplicaKey`
resources at once, with KMS held to its default request quotas.

`run_kms_fleet` makes one multi-Region primary key per instance in us-east-1, starts `instances`
processes of the bootstrap binary, and then, phase by phase, sends every instance the same request at
once, each for its own resource in its own stack: a Create that replicates the instance's key into
`regions` with an alias, an Update that changes the description, adds a tag and renames the alias, and a
Delete. Meanwhile the local AWS holds KMS to `quotas` (default: KMS_DEFAULT_QUOTAS, per operation and
region, as KMS counts them), so every ReplicateKey of the fleet shares the primary region's quota of 5 a
second. After each phase it checks, with the quotas lifted, that every replica and alias is as the phase
left it. Used by the end-to-end suite (a small fleet) and `make bench` (the kms-fleet figure).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .fleet import send_at_once
from .keys import create_primary_key
from .lambda_runtime import Answer, Function, Stack
from .localaws import KMS_DEFAULT_QUOTAS

RESOURCE_TYPE = "Custom::ReplicaKey"
LOGICAL_ID = "Replicas"
PRIMARY_REGION = "us-east-1"
PHASES = ("Create", "Update", "Delete")
# The faults of the local AWS's call log that are throttling.
THROTTLED = ("quota", "tps", "throttle")


@dataclass
class Phase:
    """One request type sent to every instance at once, and what came of it."""

    request_type: str
    wall_s: float  # from the moment every event is sent to the last answer
    statuses: list[str]
    reasons: list[str]
    kms_calls: int  # the phase's KMS calls, throttled ones included
    throttled_calls: int
    answered: dict[str, int]  # KMS calls that were not throttled, by "Operation region"
    bound_s: float  # the busiest operation and region: its answered calls at its quota
    busiest: str  # which one that was
    problems: list[str] = field(default_factory=list)  # what the check after the phase found wrong

    @property
    def failed(self) -> int:
        return sum(1 for status in self.statuses if status != "SUCCESS")

    def summary(self) -> dict[str, Any]:
        return {
            "request_type": self.request_type, "wall_s": round(self.wall_s, 2), "bound_s": round(self.bound_s, 2),
            "busiest": self.busiest,
            "wall_to_bound": round(self.wall_s / self.bound_s, 3) if self.bound_s else None,
            "failed": self.failed, "kms_calls": self.kms_calls, "throttled_calls": self.throttled_calls,
            "problems": self.problems[:10], "problem_count": len(self.problems),
            "reasons": sorted({reason.splitlines()[0][:200] for reason in self.reasons if reason}),
        }


@dataclass
class KmsFleetRun:
    instances: int
    regions: list[str]
    phases: list[Phase]

    def phase(self, request_type: str) -> Phase:
        return next(phase for phase in self.phases if phase.request_type == request_type)

    def summary(self) -> dict[str, Any]:
        return {"instances": self.instances, "regions": self.regions,
                "phases": [phase.summary() for phase in self.phases]}


def _in_region(arn: str, region: str) -> str:
    parts = arn.split(":")
    parts[3] = region
    return ":".join(parts)


def _properties(primary: str, regions: list[str], alias: str, updated: bool, run_id: str) -> dict[str, Any]:
    properties: dict[str, Any] = {"PrimaryKeyArn": primary, "ReplicaRegions": regions, "Alias": alias,
                                  "PendingWindowInDays": 7}
    if updated:
        properties["Description"] = f"fleet {run_id}, updated"
        properties["Tags"] = [{"Key": "fleet", "Value": run_id}]
    return properties


def _check(aws: Any, primaries: list[dict[str, Any]], regions: list[str], aliases: list[str],
           gone_aliases: list[str], state: str, description: str | None) -> list[str]:
    """What differs from the picture a phase should leave (read with no fault active): each primary's replica
    in every region in `state` (with `description`), each `aliases[i]` there pointing at it, each
    `gone_aliases[i]` not there."""
    problems = []
    for region in regions:
        kms = aws.client("kms", region)
        names = {alias["AliasName"]: alias.get("TargetKeyId")
                 for page in kms.get_paginator("list_aliases").paginate() for alias in page["Aliases"]}
        for index, primary in enumerate(primaries):
            where = f"instance {index} in {region}"
            try:
                meta = kms.describe_key(KeyId=_in_region(primary["Arn"], region))["KeyMetadata"]
            except kms.exceptions.NotFoundException:
                problems.append(f"{where}: no replica")
                continue
            if meta["KeyState"] != state:
                problems.append(f"{where}: the replica is {meta['KeyState']}, not {state}")
            if description is not None and meta.get("Description") != description:
                problems.append(f"{where}: the replica's description is {meta.get('Description')!r}")
            if index < len(aliases) and names.get(aliases[index]) != primary["KeyId"]:
                problems.append(f"{where}: {aliases[index]} points at {names.get(aliases[index])}")
            if index < len(gone_aliases) and gone_aliases[index] in names:
                problems.append(f"{where}: {gone_aliases[index]} is still there")
    return problems


def run_kms_fleet(aws: Any, workdir: Path, *, instances: int, regions: list[str],
                  quotas: dict[str, float] | None = None, binary: Path | None = None,
                  deadline_in: float = 300.0, timeout: float = 330.0) -> KmsFleetRun:
    """Runs one fleet (see the module) and leaves the local AWS without faults. A phase runs only when every
    answer of the one before was SUCCESS."""
    quotas = dict(KMS_DEFAULT_QUOTAS if quotas is None else quotas)
    run_id = uuid.uuid4().hex[:8]
    # moto builds a region's KMS backend on its first call: build them before the clock starts.
    for region in [PRIMARY_REGION, *regions]:
        aws.client("kms", region).list_keys(Limit=1)
    primary_kms = aws.client("kms", PRIMARY_REGION)
    primaries = [create_primary_key(primary_kms, f"fleet {run_id} key {index}") for index in range(instances)]
    stacks = [Stack(f"kms-fleet-{run_id}-{index:03d}") for index in range(instances)]
    first = [f"alias/fleet-{run_id}-{index:03d}" for index in range(instances)]
    second = [f"{alias}-renamed" for alias in first]
    created = [_properties(p["Arn"], regions, first[i], False, run_id) for i, p in enumerate(primaries)]
    updated = [_properties(p["Arn"], regions, second[i], True, run_id) for i, p in enumerate(primaries)]
    requests = {
        "Create": (created, None, "Enabled", first, [], None),
        "Update": (updated, created, "Enabled", second, first, f"fleet {run_id}, updated"),
        "Delete": (updated, None, "PendingDeletion", [], second, None),
    }
    functions = [Function(aws.endpoint, workdir / f"kms-fleet-{index:03d}.log", env={"LOG_LEVEL": "info"},
                          binary=binary) for index in range(instances)]
    phases: list[Phase] = []
    try:
        for request_type in PHASES:
            properties, old, state, aliases, gone, description = requests[request_type]
            physical = None if request_type == "Create" else [p["Arn"] for p in primaries]
            for index, function in enumerate(functions):
                function.register(request_type, RESOURCE_TYPE, LOGICAL_ID, stacks[index],
                                  physical[index] if physical else None)
            aws.clear_calls()
            aws.faults(service="kms", quotas=quotas)

            def send(index: int, request_type: str = request_type, properties: list[dict[str, Any]] = properties,
                     old: list[dict[str, Any]] | None = old, physical: list[str] | None = physical) -> Answer:
                return functions[index].send(
                    request_type, RESOURCE_TYPE, LOGICAL_ID, properties[index], stacks[index],
                    old_properties=old[index] if old else None, physical_id=physical[index] if physical else None,
                    deadline_in=deadline_in, timeout=timeout, register=False)

            try:
                answers, errors, sent_at = send_at_once(instances, send, timeout)
                calls = aws.calls(service="kms")
            finally:
                aws.clear_faults()
            phase = _phase(request_type, answers, errors, sent_at, calls, quotas, instances)
            phase.problems = _check(aws, primaries, regions, aliases, gone, state, description)
            phases.append(phase)
            if phase.failed:
                break
    finally:
        aws.clear_faults()
        for function in functions:
            function.close()
    return KmsFleetRun(instances=instances, regions=list(regions), phases=phases)


def _phase(request_type: str, answers: list[Answer | None], errors: list[str], sent_at: float,
           calls: list[dict[str, Any]], quotas: dict[str, float], instances: int) -> Phase:
    done = [answer for answer in answers if answer is not None and answer.puts]
    answered: dict[str, int] = {}
    for call in calls:
        if call.get("fault") not in THROTTLED:
            name = f"{call['operation']} {call['region']}"
            answered[name] = answered.get(name, 0) + 1
    bounds = {name: count / quotas[name.split()[0]] for name, count in answered.items()
              if name.split()[0] in quotas}
    busiest = max(bounds, key=bounds.__getitem__, default="")
    return Phase(
        request_type=request_type,
        wall_s=max((answer.puts[-1].at for answer in done), default=sent_at) - sent_at,
        statuses=[answer.status for answer in done] + ["NO ANSWER"] * (instances - len(done)),
        reasons=[answer.reason for answer in done if answer.status != "SUCCESS"] + errors,
        kms_calls=len(calls),
        throttled_calls=sum(1 for call in calls if call.get("fault") in THROTTLED),
        answered=answered, bound_s=bounds.get(busiest, 0.0), busiest=busiest,
    )
