"""The repository explains itself: every relative link of its markdown files leads to a file of the
repository (and to a heading there, for a `#fragment`), and no file cites the contract it once had
outside the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from conftest import ROOT

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


SKIPPED = {".git", "target", "node_modules", ".venv", ".venv-deploy", "dist", ".aws-sam", "build", "cdk.out"}


def tracked(pattern: str) -> list[Path]:
    """The repository's files matching `pattern`: git's list, or (without git) the tree minus what is built."""
    try:
        listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", pattern], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout.split()
        return [ROOT / name for name in listed if (ROOT / name).is_file()]
    except (OSError, subprocess.CalledProcessError):
        return [p for p in ROOT.rglob(pattern) if p.is_file() and not SKIPPED & set(p.relative_to(ROOT).parts)]


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lowercase, punctuation dropped, spaces to '-'."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)
    return {slug(h) for h in re.findall(r"^#+ (.*)$", text, flags=re.M)}


def test_every_relative_link_leads_to_a_file_and_heading_of_the_repository():
    documents = [p for p in tracked("*.md") if "node_modules" not in p.parts]
    assert len(documents) >= 6
    broken, checked = [], 0
    for document in documents:
        text = re.sub(r"^```.*?^```", "", document.read_text(encoding="utf-8"), flags=re.S | re.M)
        for target in LINK.findall(text):
            if re.match(r"^[a-z]+:", target):
                continue
            checked += 1
            path, _, fragment = target.partition("#")
            resolved = (document.parent / path).resolve() if path else document
            where = f"{document.relative_to(ROOT)}: {target}"
            if ROOT not in resolved.parents and resolved != ROOT:
                broken.append(f"{where} leaves the repository")
            elif not resolved.exists():
                broken.append(f"{where} names no file")
            elif fragment and resolved.suffix == ".md" and fragment not in anchors(resolved):
                broken.append(f"{where} names no heading of {resolved.relative_to(ROOT)}")
    assert checked > 30, "the documents' links were found"
    assert broken == [], "\n".join(broken)


def test_no_file_cites_a_contract_outside_the_repository():
    citing = []
    for path in tracked("*"):
        if path.suffix in (".lock", ".png") or "node_modules" in path.parts or path.name == "package-lock.json":
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if re.search(r"\bSPEC\b|shared/SPEC|\.\./shared/", line) and path.name != "test_links.py":
                citing.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert citing == [], "cite docs/reference.md instead:\n" + "\n".join(citing)
