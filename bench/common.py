"""What the bench's modules share: where the bench lives, the error that stops it, and sample summaries."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
MIB = 1024 * 1024


class BenchError(RuntimeError):
    """A measurement that could not be made."""


def median(values: list[float]) -> float:
    return statistics.median(values)


def summary(values: list[float], digits: int = 2) -> dict[str, Any]:
    return {"median": round(median(values), digits), "min": round(min(values), digits),
            "max": round(max(values), digits), "samples": [round(v, digits) for v in values]}

