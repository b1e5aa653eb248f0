"""The CDK package as a user gets it: dist/mrk-provider-cdk-<version>.tgz (`make cdk-package`) installed
into a scratch app (not linked to cdk/), synthesized offline; the function each stack deploys is the
packaged arm64 zip, and the templates lint."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from artifacts import DIST, LAMBDA_ZIP, assert_passes_the_bootstrap_checks, cfn_lint, extract_bootstrap, require
from cfn import ROOT

HERE = Path(__file__).resolve().parent
CDK = ROOT / "cdk"
ZIP_IN_PACKAGE = "package/assets/mrk-provider-arm64.zip"
# The stacks of scratch_app.js and how many provider functions each must deploy.
FUNCTIONS_PER_STACK = {"Keys": 1, "Consumer": 1, "Shared": 0}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def tarball() -> Path:
    version = json.loads((CDK / "package.json").read_text())["version"]
    return require(DIST / f"mrk-provider-cdk-{version}.tgz", "make cdk-package")


@pytest.fixture(scope="module")
def app(tarball, tmp_path_factory) -> Path:
    """A scratch CDK app with the tarball installed, synthesized into its cdk.out/."""
    folder = tmp_path_factory.mktemp("scratch-app")
    # aws-cdk-lib and constructs are cdk/'s copies (the versions it pins, without a second download); the
    # package under test comes from the tarball only.
    cdk_modules = require(CDK / "node_modules", "make cdk-package")
    manifest = {
        "name": "scratch-app",
        "private": True,
        "dependencies": {
            "aws-cdk-lib": f"file:{cdk_modules / 'aws-cdk-lib'}",
            "constructs": f"file:{cdk_modules / 'constructs'}",
            "mrk-provider-cdk": f"file:{tarball}",
        },
    }
    (folder / "package.json").write_text(json.dumps(manifest, indent=2))
    (folder / "app.js").write_text((HERE / "scratch_app.js").read_text())
    npm = ["npm", "install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts"]
    subprocess.run(npm, cwd=folder, check=True, capture_output=True, timeout=300)
    synth = subprocess.run(
        ["node", "app.js"], cwd=folder, env={**os.environ, "CDK_OUTDIR": str(folder / "cdk.out")},
        capture_output=True, text=True, timeout=300,
    )
    assert synth.returncode == 0, f"the scratch app does not synthesize:\n{synth.stdout}{synth.stderr}"
    return folder


def templates(app: Path) -> dict[str, dict]:
    manifest = json.loads((app / "cdk.out" / "manifest.json").read_text())
    return {
        name: json.loads((app / "cdk.out" / artifact["properties"]["templateFile"]).read_text())
        for name, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    }


def test_the_tarball_holds_the_library_and_the_zip_of_make_package_and_nothing_else(tarball):
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
        packaged_zip = archive.extractfile(ZIP_IN_PACKAGE).read()
    others = {name for name in names if not name.startswith("package/lib/")}
    # .jsii: the assembly (the API for the other languages) that jsii-pacmak and Construct Hub read
    assert others == {"package/package.json", "package/README.md", "package/LICENSE", "package/.jsii", ZIP_IN_PACKAGE}
    library = names - others
    assert "package/lib/index.js" in library and "package/lib/provider.d.ts" in library
    assert all(name.endswith((".js", ".d.ts")) for name in library), sorted(library)
    assert sha256(packaged_zip) == sha256(require(LAMBDA_ZIP, "make package").read_bytes())


def test_the_tarball_is_the_zip_and_little_more(tarball):
    size, zipped = tarball.stat().st_size, LAMBDA_ZIP.stat().st_size
    print(f"\n{tarball.name}: {size:,} bytes; {LAMBDA_ZIP.name}: {zipped:,} bytes")
    assert size < zipped + 256 * 1024, "the tarball carries more than the zip and a small library"


def test_the_package_is_installed_from_the_tarball_not_linked(app):
    installed = app / "node_modules" / "mrk-provider-cdk"
    assert not installed.is_symlink() and installed.resolve().is_relative_to(app)
    assert (installed / "assets" / "mrk-provider-arm64.zip").is_file()


def test_every_stack_with_a_custom_resource_and_no_service_token_deploys_one_function(app):
    found = templates(app)
    assert set(found) == set(FUNCTIONS_PER_STACK)
    for name, template in found.items():
        functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
        assert len(functions) == FUNCTIONS_PER_STACK[name], name
        for function in functions:
            properties = function["Properties"]
            assert (properties["Runtime"], properties["Architectures"]) == ("provided.al2023", ["arm64"])


def test_the_function_asset_in_cdk_out_is_the_packaged_arm64_zip(app, tmp_path):
    for name, template in templates(app).items():
        for function in (r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"):
            # GIVEN the asset the function's code points at, as `cdk deploy` uploads it
            key = function["Properties"]["Code"]["S3Key"]
            asset = app / "cdk.out" / f"asset.{key}"
            assert asset.is_file(), f"{name}: no file asset {asset.name} in cdk.out"
            # THEN it is make package's zip, and its bootstrap passes tests/deploy's checks
            assert sha256(asset.read_bytes()) == sha256(LAMBDA_ZIP.read_bytes()), name
            assert_passes_the_bootstrap_checks(extract_bootstrap(asset, tmp_path))


def test_the_synthesized_templates_lint(app):
    cfn_lint(*sorted((app / "cdk.out").glob("*.template.json")))


def test_a_copy_without_the_zip_fails_at_synth_time_saying_how_to_get_one(app):
    # GIVEN the installed package without its zip (a build of cdk/ that skipped `make package`)
    packaged = app / "node_modules" / "mrk-provider-cdk" / "assets" / "mrk-provider-arm64.zip"
    aside = packaged.with_name("aside.zip")
    packaged.rename(aside)
    try:
        synth = subprocess.run(["node", "app.js"], cwd=app, env={**os.environ, "CDK_OUTDIR": str(app / "no-zip.out")},
                               capture_output=True, text=True, timeout=300)
    finally:
        aside.rename(packaged)
    # THEN the app fails with a sentence that names the missing file and the two ways to get it
    assert synth.returncode != 0
    assert f"the function's code {packaged} is missing" in synth.stderr
    assert "Install a packed release" in synth.stderr and "npm run build" in synth.stderr
