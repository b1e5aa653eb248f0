"""`make release`: completes dist/ as a release publishes it, once `make package` and `make cdk-package` made the
artifacts: checks that every artifact carries the one version (Cargo.toml's), adds target-account.yaml (no code
to package), the provider's template for StackSets (tools/stackset.py) and the cfn-lint rules as one zip, writes
RELEASE_NOTES.md (CHANGELOG.md's section for the version) and SHA256SUMS over every file (`sha256sum -c
SHA256SUMS` checks them).

Usage: python tools/release.py --dist dist
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import sys
import tomllib
import zipfile
from pathlib import Path

from stackset import stackset_template

ROOT = Path(__file__).resolve().parents[1]
# Copied as it is: a template without code of its own (and without a transform, so StackSets deploy it too).
AS_IS = ("target-account.yaml",)
# template.yaml for StackSets (tools/stackset.py).
STACKSET = "mrk-provider-stackset.template.json"
# The cfn-lint rules that `make package` writes as a folder, zipped for the release (an asset is a file).
RULES = "cfn-lint-rules"
RULES_ZIP = "mrk-provider-cfn-lint-rules.zip"
# A zip entry's time: a constant, so that the same rules zip to the same bytes.
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
SUMS = "SHA256SUMS"
NOTES = "RELEASE_NOTES.md"


def version_of_the_project() -> str:
    """Cargo.toml's version, after checking that cdk/package.json and template.yaml's SemanticVersion agree."""
    version = tomllib.loads((ROOT / "Cargo.toml").read_text())["package"]["version"]
    npm = json.loads((ROOT / "cdk" / "package.json").read_text())["version"]
    semantic = re.search(r"^\s+SemanticVersion:\s*(\S+)\s*$", (ROOT / "template.yaml").read_text(), re.MULTILINE)
    found = {"cdk/package.json": npm, "template.yaml SemanticVersion": semantic and semantic.group(1)}
    wrong = {where: seen for where, seen in found.items() if seen != version}
    if wrong:
        listed = ", ".join(f"{where} says {seen}" for where, seen in wrong.items())
        raise SystemExit(f"Cargo.toml says version {version}, but {listed}: set the same version in all three")
    return version


def release_notes(changelog: str, version: str) -> str:
    """The section `## <version>` of CHANGELOG.md, up to the next `## ` heading."""
    match = re.search(rf"^## {re.escape(version)}\s*$(.*?)(?=^## |\Z)", changelog, re.MULTILINE | re.DOTALL)
    if match is None:
        raise SystemExit(f"CHANGELOG.md has no section '## {version}': write what the release changes there first")
    return f"# mrk-provider {version}\n{match.group(1).rstrip()}\n"


def expected_artifacts(version: str) -> list[str]:
    """What `make package` and `make cdk-package` must have made for this version."""
    return [
        "mrk-provider-arm64.zip",
        "mrk-provider-arm64.zip.sha256",
        "template.yaml",
        f"mrk-provider-cdk-{version}.tgz",
        f"mrk_provider_cdk-{version}-py3-none-any.whl",
        f"mrk_provider_cdk-{version}.tar.gz",
    ]


def zip_folder(folder: Path, target: Path) -> None:
    """`folder` zipped into `target`, its entries under the folder's name, sorted, with fixed times."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            entry = zipfile.ZipInfo(str(path.relative_to(folder.parent)), date_time=FIXED_TIME)
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, path.read_bytes(), zipfile.ZIP_DEFLATED)


def sha256sums(dist: Path) -> str:
    """`sha256sum` lines for every file of dist/ but SHA256SUMS itself, sorted by name."""
    lines = []
    for path in sorted(p for p in dist.iterdir() if p.is_file() and p.name != SUMS):
        lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n")
    return "".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, required=True)
    args = parser.parse_args(argv)
    dist: Path = args.dist
    version = version_of_the_project()
    missing = [name for name in expected_artifacts(version) if not (dist / name).is_file()]
    if missing:
        lacking = ", ".join(missing)
        raise SystemExit(f"{dist} lacks {lacking}: run `make package cdk-package` first (`make release` does)")
    for name in AS_IS:
        shutil.copyfile(ROOT / name, dist / name)
    stackset = stackset_template((ROOT / "template.yaml").read_text())
    (dist / STACKSET).write_text(json.dumps(stackset, indent=2) + "\n")
    if (dist / RULES).is_dir():
        zip_folder(dist / RULES, dist / RULES_ZIP)
    (dist / NOTES).write_text(release_notes((ROOT / "CHANGELOG.md").read_text(), version))
    (dist / SUMS).write_text(sha256sums(dist))
    for path in sorted(dist.iterdir()):
        if path.is_file():
            print(f"{path}: {path.stat().st_size:,} bytes")
    print(f"mrk-provider {version}: {dist / SUMS} lists {len(sha256sums(dist).splitlines())} files", file=sys.stderr)


if __name__ == "__main__":
    main()
