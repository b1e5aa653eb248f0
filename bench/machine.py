"""Machine probing: how busy the CPUs are, waiting for them to be quiet, the machine and the versions
measured, and the size of the deployment artifact."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import platform
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

from common import BENCH, BenchError
from mrk_harness import ROOT

EM_AARCH64 = 183
QUIET_BUSY = 0.15  # the share of CPU time other work may take before the run starts


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

    def start(self) -> OtherWork:
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


