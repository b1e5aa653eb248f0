"""Prints the Makefile's targets with what each does, from its `## target: what it does` comments.

Usage: python3 tools/make_help.py Makefile
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

TARGET = re.compile(r"^## ([A-Za-z0-9_.-]+): (.*)$")


def targets(makefile: str) -> list[tuple[str, str]]:
    """(target, description) for each `## target: ...` comment, its `## ...` continuation lines joined."""
    found: list[tuple[str, str]] = []
    in_comment = False
    for line in makefile.splitlines():
        match = TARGET.match(line)
        if match:
            found.append((match.group(1), match.group(2)))
            in_comment = True
        elif line.startswith("## ") and in_comment:
            name, text = found[-1]
            found[-1] = (name, f"{text} {line[3:]}")
        else:
            in_comment = False
    return found


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "Makefile")
    found = targets(path.read_text(encoding="utf-8"))
    width = max(len(name) for name, _ in found)
    for name, text in found:
        lines = textwrap.wrap(text, 100 - width - 4) or [""]
        print(f"  {name:<{width}}  {lines[0]}")
        for rest in lines[1:]:
            print(f"  {'':<{width}}  {rest}")


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:  # `make help | head`
        sys.stderr.close()
