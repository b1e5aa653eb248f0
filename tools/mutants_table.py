"""Per-module table of one or more cargo-mutants runs (`make mutants-all`, docs/testing.md).

Usage: python3 tools/mutants_table.py DIR [DIR ...]

Each DIR is a `mutants.out` directory (one per shard); its caught.txt, missed.txt, timeout.txt and
unviable.txt list one mutant per line, starting with `src/<file>.rs:<line>:<column>:`. A module is a
file directly under src/ or src/resources/, or the directory one level below either.
"""

import sys
from collections import defaultdict
from pathlib import Path

OUTCOMES = ("caught", "missed", "timeout", "unviable")


def module_of(path: str) -> str:
    parts = path.split("/")
    depth = 3 if len(parts) > 2 and parts[1] == "resources" else 2
    return "/".join(parts[:depth])


def count(dirs: list[Path]) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(OUTCOMES, 0))
    for directory in dirs:
        for outcome in OUTCOMES:
            listing = directory / f"{outcome}.txt"
            if not listing.exists():
                continue
            for line in listing.read_text().splitlines():
                if line.strip():
                    table[module_of(line.split(":", 1)[0])][outcome] += 1
    return table


def row(name: str, counts: dict[str, int]) -> str:
    viable = counts["caught"] + counts["missed"] + counts["timeout"]
    share = f"{100 * counts['caught'] / viable:.1f}%" if viable else "-"
    cells = " | ".join(str(counts[outcome]) for outcome in OUTCOMES)
    return f"| {name} | {cells} | {share} |"


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    dirs = [Path(arg) for arg in argv]
    missing = [str(d) for d in dirs if not d.is_dir()]
    if missing:
        print(f"no cargo-mutants output in {', '.join(missing)}: run `make mutants-all` first", file=sys.stderr)
        return 2
    table = count(dirs)
    total = dict.fromkeys(OUTCOMES, 0)
    print("| module | caught | missed | timeout | unviable | caught of viable |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in sorted(table):
        print(row(f"`{name}`", table[name]))
        for outcome in OUTCOMES:
            total[outcome] += table[name][outcome]
    print(row("**all**", total))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
