"""`make release` (tools/release.py) on a copy of dist/: the checksums, the release notes, the templates that
StackSets deploy."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from artifacts import DEPLOY_BIN, DIST, cfn_lint, require
from cfn import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import release  # noqa: E402

VERSION = tomllib.loads((ROOT / "Cargo.toml").read_text())["package"]["version"]


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    """A copy of what `make package` and `make cdk-package` made, completed by tools/release.py."""
    dist = tmp_path_factory.mktemp("dist")
    for name in release.expected_artifacts(VERSION):
        shutil.copyfile(require(DIST / name, "make package cdk-package"), dist / name)
    shutil.copytree(require(DIST / release.RULES, "make package"), dist / release.RULES)
    run = subprocess.run(
        [DEPLOY_BIN / "python", ROOT / "tools" / "release.py", "--dist", dist],
        capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return dist


def test_sha256sums_lists_every_file_and_sha256sum_accepts_it(released):
    listed = [line.split("  ", 1)[1] for line in (released / "SHA256SUMS").read_text().splitlines()]
    assert sorted(listed) == sorted(p.name for p in released.iterdir() if p.is_file() and p.name != "SHA256SUMS")
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=released, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_cfn_lint_rules_are_one_zip_of_the_rules_folder(released):
    with zipfile.ZipFile(released / release.RULES_ZIP) as archive:
        names = set(archive.namelist())
        zipped = {name: archive.read(name) for name in names}
    folder = released / release.RULES
    files = {str(p.relative_to(released)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert zipped == files and f"{release.RULES}/MrkProvider.py" in names


def test_sha256sums_sees_a_changed_file(released, tmp_path):
    # GIVEN a copy of the release in which one artifact changed after SHA256SUMS was written
    copy = shutil.copytree(released, tmp_path / "copy")
    (copy / "target-account.yaml").write_text((copy / "target-account.yaml").read_text() + "# changed\n")
    # THEN sha256sum refuses it
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=copy, capture_output=True, text=True)
    assert check.returncode != 0 and "target-account.yaml: FAILED" in check.stdout


def test_the_release_notes_are_the_changelog_section_of_the_version(released):
    notes = (released / "RELEASE_NOTES.md").read_text()
    assert notes.startswith(f"# mrk-provider {VERSION}\n")
    body = notes.split("\n", 1)[1].strip()
    assert body and body in (ROOT / "CHANGELOG.md").read_text()
    assert "\n## " not in notes, "the notes run into the next version's section"


def test_a_version_without_a_changelog_section_is_refused():
    with pytest.raises(SystemExit, match="CHANGELOG.md has no section '## 99.0.0'"):
        release.release_notes((ROOT / "CHANGELOG.md").read_text(), "99.0.0")


def test_the_stackset_template_has_no_transform_reads_the_code_of_its_region_and_lints(released):
    path = released / "mrk-provider-stackset.template.json"
    template = json.loads(path.read_text())
    # Stack sets with service-managed permissions accept no transform (macro), AWS::Serverless included.
    assert "Transform" not in template
    assert not [r for r in template["Resources"].values() if r["Type"].startswith("AWS::Serverless::")]
    [function] = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert function["Properties"]["Code"] == {
        "S3Bucket": {"Fn::Sub": "${CodeBucketPrefix}-${AWS::Region}"},
        "S3Key": {"Ref": "CodeKey"},
    }
    assert function["Properties"]["Architectures"] == ["arm64"]
    # The parameters of template.yaml, unchanged, and the two of the code.
    sam = release.stackset_template((ROOT / "template.yaml").read_text())
    assert set(template["Parameters"]) == set(sam["Parameters"])
    cfn_lint(path, released / "target-account.yaml")


def test_target_account_yaml_deploys_with_stacksets_as_it_is(released):
    assert "Transform" not in (released / "target-account.yaml").read_text()
