"""dist/ (`make package`): the Lambda zip, its SHA-256 and the packaged template, which is all that
`sam deploy` (or `aws cloudformation package` + `deploy`) needs on a machine without the Rust toolchain."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
import zipfile

import boto3
import pytest

from artifacts import (
    DEPLOY_BIN,
    DIST,
    LAMBDA_ZIP,
    assert_passes_the_bootstrap_checks,
    cfn_lint,
    extract_bootstrap,
    local_s3,
    require,
)
from cfn import ROOT, load

BUILD = ROOT / "target" / "lambda" / "bootstrap" / "bootstrap"
PACKAGED = DIST / "template.yaml"


@pytest.fixture(scope="module")
def package() -> zipfile.ZipFile:
    with zipfile.ZipFile(require(LAMBDA_ZIP, "make package")) as archive:
        yield archive


def test_the_zip_holds_only_bootstrap_as_an_executable_file(package):
    [entry] = package.infolist()
    assert entry.filename == "bootstrap"
    assert entry.create_system == 3, "no Unix attributes: Lambda would not see the executable bit"
    mode = entry.external_attr >> 16
    assert stat.S_ISREG(mode) and stat.S_IMODE(mode) == 0o755, oct(mode)
    assert entry.date_time == (1980, 1, 1, 0, 0, 0), "the build's time would change the SHA-256 at every build"


def test_the_zip_holds_the_current_arm64_build(package):
    assert package.read("bootstrap") == require(BUILD, "make build").read_bytes()


def test_the_zipped_bootstrap_passes_the_deploy_checks(tmp_path):
    assert_passes_the_bootstrap_checks(extract_bootstrap(LAMBDA_ZIP, tmp_path))


def test_the_sha256_file_is_the_zip_s_in_sha256sum_format():
    digest, name = require(DIST / f"{LAMBDA_ZIP.name}.sha256", "make package").read_text().split()
    assert name == LAMBDA_ZIP.name
    assert digest == hashlib.sha256(LAMBDA_ZIP.read_bytes()).hexdigest()
    check = subprocess.run(["sha256sum", "-c", f"{LAMBDA_ZIP.name}.sha256"], cwd=DIST, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_packaging_the_same_binary_again_gives_the_same_bytes(tmp_path):
    # GIVEN the same binary with another modification time, packaged into another folder
    bootstrap = tmp_path / "bootstrap"
    shutil.copyfile(require(BUILD, "make build"), bootstrap)
    os.utime(bootstrap, (1_000_000_000, 1_000_000_000))
    out = tmp_path / "dist"
    script = ROOT / "tools" / "package.py"
    subprocess.run([sys.executable, str(script), "--bootstrap", str(bootstrap), "--out", str(out)], check=True)
    # THEN every artifact is the same, byte for byte
    for name in (LAMBDA_ZIP.name, f"{LAMBDA_ZIP.name}.sha256", "template.yaml", "LICENSE", "README.md"):
        assert (out / name).read_bytes() == (DIST / name).read_bytes(), name


def test_the_packaged_template_is_template_yaml_with_the_zip_as_its_code():
    packaged, source = load(require(PACKAGED, "make package")), load("template.yaml")
    function = packaged["Resources"]["MrkProviderFunction"]
    code_uri = function["Properties"]["CodeUri"]
    # sam deploy and aws cloudformation package read a local CodeUri relative to the template's folder.
    assert (PACKAGED.parent / code_uri).resolve() == LAMBDA_ZIP.resolve()
    assert "Metadata" not in function, "a BuildMethod would make `sam build` look for the Makefile"
    del source["Resources"]["MrkProviderFunction"]["Metadata"]
    source["Resources"]["MrkProviderFunction"]["Properties"]["CodeUri"] = code_uri
    assert packaged == source


def test_the_files_that_the_serverless_repo_metadata_names_are_beside_the_packaged_template():
    application = load(require(PACKAGED, "make package"))["Metadata"]["AWS::ServerlessRepo::Application"]
    for key in ("LicenseUrl", "ReadmeUrl"):
        assert (DIST / application[key]).read_bytes() == (ROOT / application[key]).read_bytes(), key


def test_the_packaged_template_lints():
    cfn_lint(require(PACKAGED, "make package"))
    validate = subprocess.run(
        [str(DEPLOY_BIN / "sam"), "validate", "--lint", "--region", "us-east-1", "--template-file", str(PACKAGED)],
        env={**os.environ, "SAM_CLI_TELEMETRY": "0"}, capture_output=True, text=True, timeout=300,
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr


def test_sam_package_uploads_the_zip_as_it_is_and_the_files_the_metadata_names(tmp_path):
    # GIVEN the SAM CLI pointed at a local S3 (no request leaves 127.0.0.1), with a bucket
    with local_s3() as endpoint:
        env = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing",
               "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1", "SAM_CLI_TELEMETRY": "0"}
        env.pop("AWS_PROFILE", None)
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        s3.create_bucket(Bucket="artifacts")
        # WHEN it packages dist/template.yaml, as `sam deploy` does before it deploys
        output = tmp_path / "packaged.yaml"
        package = subprocess.run(
            [str(DEPLOY_BIN / "sam"), "package", "--template-file", str(require(PACKAGED, "make package")),
             "--s3-bucket", "artifacts", "--output-template-file", str(output), "--region", "us-east-1"],
            env=env, capture_output=True, text=True, timeout=300,
        )
        assert package.returncode == 0, package.stdout + package.stderr
        # THEN the function's code is the zip, byte for byte, and the license and readme are uploaded too
        packaged = load(output)

        def uploaded(uri: str) -> bytes:
            bucket, _, key = uri.removeprefix("s3://").partition("/")
            return s3.get_object(Bucket=bucket, Key=key)["Body"].read()

        code_uri = packaged["Resources"]["MrkProviderFunction"]["Properties"]["CodeUri"]
        assert uploaded(code_uri) == LAMBDA_ZIP.read_bytes()
        application = packaged["Metadata"]["AWS::ServerlessRepo::Application"]
        assert uploaded(application["LicenseUrl"]) == (ROOT / "LICENSE").read_bytes()
        assert uploaded(application["ReadmeUrl"]) == (ROOT / "README.md").read_bytes()
