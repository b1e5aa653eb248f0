"""The Python package as a user gets it: the wheel of dist/ installed from the file into a fresh virtual
environment with aws-cdk-lib and constructs from PyPI (`make cdk-python-synth`), running examples/cdk-python.
Its templates are those of the TypeScript app examples/cdk (`make cdk-test`), asset hashes and CDK metadata
aside, and its stack deploys the packaged arm64 zip."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import pytest

from artifacts import LAMBDA_ZIP, require
from cfn import ROOT

PYTHON_APP = ROOT / "target" / "cdk-python"
TYPESCRIPT_OUT = ROOT / "examples" / "cdk" / "cdk.out"
STACKS = {"MrkExampleKeys", "MrkExampleApp"}
ASSET_HASH = re.compile(r"[0-9a-f]{64}")


def templates(out: Path) -> dict[str, dict]:
    found = out.glob("*.template.json")
    return {path.name.removesuffix(".template.json"): json.loads(path.read_text()) for path in found}


def comparable(template: dict) -> str:
    """The template without what differs by language or build: the CDK's metadata (construct paths, asset
    paths, the analytics resource) and asset hashes."""
    template = json.loads(json.dumps(template))
    resources = template.get("Resources", {})
    resources.pop("CDKMetadata", None)
    template.get("Conditions", {}).pop("CDKMetadataAvailable", None)
    for resource in resources.values():
        resource.pop("Metadata", None)
    return ASSET_HASH.sub("<asset-hash>", json.dumps(template, indent=1, sort_keys=True))


@pytest.fixture(scope="module")
def python_out() -> Path:
    return require(PYTHON_APP / "cdk.out", "make cdk-python-synth")


@pytest.fixture(scope="module")
def typescript_out() -> Path:
    return require(TYPESCRIPT_OUT, "make cdk-test")


def test_the_app_ran_on_the_built_wheel_not_the_sources(python_out):
    python = PYTHON_APP / "venv" / "bin" / "python"
    code = (
        "import json, mrk_provider_cdk, importlib.metadata as m; d = m.distribution('mrk-provider-cdk'); "
        "print(json.dumps([mrk_provider_cdk.__file__, d.read_text('direct_url.json')]))"
    )
    shown = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout
    module, direct_url = json.loads(shown.splitlines()[-1])
    assert Path(module).resolve().is_relative_to((PYTHON_APP / "venv").resolve()), module
    assert json.loads(direct_url)["url"].endswith(".whl"), direct_url


def test_the_python_app_synthesizes_the_templates_of_the_typescript_app(python_out, typescript_out):
    python, typescript = templates(python_out), templates(typescript_out)
    assert set(python) == set(typescript) == STACKS
    for name in STACKS:
        assert comparable(python[name]) == comparable(typescript[name]), f"{name} differs between the two apps"


def test_the_comparison_would_see_a_difference(python_out):
    # GIVEN the Python app's key stack with one property changed
    template = templates(python_out)["MrkExampleKeys"]
    changed = json.loads(json.dumps(template))
    replicas = next(r for r in changed["Resources"].values() if r["Type"] == "Custom::ReplicaKey")
    replicas["Properties"]["ReplicaRegions"] = ["ap-southeast-2"]
    # THEN the comparison tells them apart
    assert comparable(changed) != comparable(template)


def test_the_function_is_arm64_and_its_asset_the_packaged_zip(python_out):
    template = templates(python_out)["MrkExampleKeys"]
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert len(functions) == 1
    properties = functions[0]["Properties"]
    assert (properties["Runtime"], properties["Architectures"]) == ("provided.al2023", ["arm64"])
    asset = python_out / f"asset.{properties['Code']['S3Key']}"
    assert asset.is_file(), f"no file asset {asset.name} in {python_out}"
    digest = hashlib.sha256
    assert digest(asset.read_bytes()).hexdigest() == digest(LAMBDA_ZIP.read_bytes()).hexdigest()
