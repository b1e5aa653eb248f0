"""`make bench`: cold start, memory, package size and stack wait time, ours against the CDK's handlers.

Everything runs in one go on one local AWS (mrk_harness.localaws: moto on 127.0.0.1), with the
harness's Lambda Runtime API and ResponseURL receiver. The figures, named as the table and
results.json name them (docs/benchmarks.md says how each is measured, and holds the results):

- replica-key-1-region-cold, writer-5-names-cold, reader-1-name-cold: a fresh process from spawn to
  its answer PUT, ours and the CDK peer in turn: a ReplicaKey Create into one region (peer: an
  `AwsCustomResource` calling KMS replicateKey), a CrossRegionParameter Create of 5 names into one
  region (peer: the CDK's cross-region SSM export writer), a reader Create of one name from another
  region (peer: an `AwsCustomResource` with only onUpdate, calling SSM getParameter). Beside the
  writer runs a reference client (bench/floor) that makes only the writer's calls, to show what the
  local AWS and the harness take by themselves.
- init: spawn to the first `GET /runtime/invocation/next`.
- peak-rss: each cold process's VmHWM once it has answered.
- artifact-size: the zipped arm64 `bootstrap` that Lambda runs.
- fan-out: a ReplicaKey Create into 1, 4 and 10 regions, 100 ms added to every KMS call.
- bulk-200-names: 200 parameters into 3 regions under a 40 TPS limit per region.
- fleet: 10, 30 and 50 instances at once, each writing 20 names into 3 regions, under a 40 TPS limit
  per region shared by all (peer: the CDK writer, three processes an instance).
- kms-fleet: 15 and 30 instances at once, each creating, updating and deleting its own replica key into
  the same 3 regions, KMS held to its default quotas per operation and region (5 ReplicateKey a second).
- replica-ready: a ReplicaKey Create whose replica stays Creating 1 to 60 s: how late it answers.

The modules: processes.py starts and times the processes, figures.py holds each figure's runs,
fleet.py holds the fleet figures, machine.py probes the machine and the artifact, report.py judges the targets and draws the table.
It prints the table, writes the results as JSON, and marks each target met or not; it fails only when
a measurement itself could not be made (a run answered FAILED, a process hung, ...).

    .venv/bin/python bench/bench.py --bootstrap target/release/bootstrap \\
        --artifact target/lambda/bootstrap/bootstrap
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import BENCH, BenchError
from figures import ARTIFACT_SIZE, BULK, COLD, CROSS_ACCOUNT, FAN_OUT, Bench, key
from fleet import FLEET, KMS_FLEET, REPLICA_READY, FleetFigures
from machine import QUIET_BUSY, OtherWork, artifact, machine, wait_for_quiet
from mrk_harness import ROOT
from mrk_harness.localaws import LocalAws
from report import table, targets


# The groups of figures, in the order they run (--only picks some).
GROUPS = ("cold", CROSS_ACCOUNT, FAN_OUT, BULK, FLEET, KMS_FLEET, REPLICA_READY)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", type=Path, default=ROOT / "target" / "release" / "bootstrap",
                        help="our native release binary (every figure but artifact-size)")
    parser.add_argument("--artifact", type=Path, default=ROOT / "target" / "lambda" / "bootstrap" / "bootstrap",
                        help="the arm64 bootstrap that `make build` makes (artifact-size)")
    parser.add_argument("--reference", type=Path, default=ROOT / "target" / "release" / "mrk-bench-floor",
                        help="the writer reference client that `make bench` builds from bench/floor (optional)")
    parser.add_argument("--runs", type=int, default=7, help="cold runs per figure (after one warm-up)")
    parser.add_argument("--slow-runs", type=int, default=3, help="fan-out and bulk runs")
    parser.add_argument("--only", default=",".join(GROUPS),
                        help=f"comma-separated figure groups to run (default: all of {', '.join(GROUPS)})")
    parser.add_argument("--json", type=Path, default=BENCH / "results.json")
    parser.add_argument("--quiet-wait", type=float, default=180.0,
                        help="seconds to wait at most for other work to leave the CPUs idle (0: do not wait)")
    args = parser.parse_args(argv)
    only = {group.strip() for group in args.only.split(",") if group.strip()}
    if not only or only - set(GROUPS):
        parser.error(f"--only takes groups among {', '.join(GROUPS)}")
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
                    "warm-up per side, then ours, the peer (and in writer-5-names-cold the reference client) "
                    "in turn",
            "peak_rss": "VmHWM once the process has answered (ours: from /proc after the invocation's result is "
                        "posted; peers: read by bench/peer.js just before exit)",
        }
        if reference is None:
            results["skipped"]["reference"] = f"{args.reference} is missing (make bench builds it from bench/floor)"
        else:
            results["method"]["reference"] = {
                "binary": str(reference.relative_to(ROOT) if reference.is_relative_to(ROOT) else reference),
                "what": "writer-5-names-cold only: GET next, the same 5 PutParameter bodies at once (a thread "
                        "and a connection each), the answer PUT; no AWS SDK, no TLS setup, no signing, no retries, "
                        "no logs"}
        bench = Bench(aws, bootstrap, Path(tmp), args.runs, args.slow_runs, reference)
        try:
            bench.warm_local_aws()
            fleet = FleetFigures(bench)
            runs = {"cold": ("cold", bench.cold_figures), CROSS_ACCOUNT: (key(CROSS_ACCOUNT), bench.cross_account_writer),
                    FAN_OUT: (key(FAN_OUT), bench.fanout), BULK: (key(BULK), bench.bulk),
                    FLEET: (key(FLEET), fleet.fleet), KMS_FLEET: (key(KMS_FLEET), fleet.kms_fleet),
                    REPLICA_READY: (key(REPLICA_READY), fleet.replica_ready)}
            for group, (name, run) in runs.items():
                if group in only:
                    print(", ".join(n for n, _, _ in COLD.values()) + " (and init, peak-rss)" if group == "cold"
                          else group, flush=True)
                    results["figures"][name] = run()
        finally:
            bench.close()
    print(ARTIFACT_SIZE, flush=True)
    if "cold" not in only:
        results["skipped"][key(ARTIFACT_SIZE)] = "--only leaves out the cold figures and the artifact"
    elif args.artifact.exists():
        results["figures"][key(ARTIFACT_SIZE)] = artifact(args.artifact.resolve())
    else:
        results["skipped"][key(ARTIFACT_SIZE)] = f"{args.artifact} is missing (run `make build`)"
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
