"""`make package`: the release artifacts in dist/, made from the arm64 `bootstrap` that `make build` built.

- mrk-provider-arm64.zip: the Lambda deployment package, `bootstrap` alone (mode 755). Its timestamp and
  attributes are fixed, so the same binary always zips to the same bytes: the same SHA-256, and the same
  CDK asset hash (no needless function update).
- mrk-provider-arm64.zip.sha256: its SHA-256 in `sha256sum` format (`sha256sum -c` checks it).
- template.yaml: template.yaml with `CodeUri` naming that zip and without the build metadata, so that
  `sam deploy --template-file dist/template.yaml` (or `aws cloudformation package`) needs no Rust toolchain.
- LICENSE and README.md, which its AWS::ServerlessRepo::Application metadata names, beside it.
- cfn-lint-rules/: the cfn-lint rules for the three resource types with the JSON Schemas they read
  (`cfn-lint --append-rules dist/cfn-lint-rules -- template.yaml`; docs/reference.md, section 9).

Usage: python tools/package.py --bootstrap target/lambda/bootstrap/bootstrap --out dist
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import shutil
import stat
import sys
import zipfile
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.nodes import MappingNode, SequenceNode

ROOT = Path(__file__).resolve().parents[1]
ZIP_NAME = "mrk-provider-arm64.zip"
FUNCTION_ID = "MrkProviderFunction"
# The earliest time a zip entry can carry (DOS dates start in 1980): a constant, not the build's time.
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
# Files the template's AWS::ServerlessRepo::Application metadata names by a path beside the template.
SERVERLESS_REPO_FILES = ("LicenseUrl", "ReadmeUrl")


def zip_bytes(bootstrap: bytes) -> bytes:
    """The deployment package: `bootstrap`, executable, with nothing that depends on when or where it was made."""
    entry = zipfile.ZipInfo("bootstrap", date_time=FIXED_TIME)
    entry.create_system = 3  # Unix, so that Lambda reads the mode bits below
    entry.external_attr = (stat.S_IFREG | 0o755) << 16
    entry.compress_type = zipfile.ZIP_DEFLATED
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr(entry, bootstrap, compresslevel=9)
    return buffer.getvalue()


def packaged_template(text: str, code_uri: str) -> str:
    """template.yaml's text with the function's `CodeUri` set to `code_uri` and its build `Metadata` removed.

    Every other line, comments included, stays as it is: the YAML parser only says where the two are."""
    yaml = YAML()
    document = yaml.load(text)
    function = document["Resources"][FUNCTION_ID]
    if "Metadata" not in function or "CodeUri" not in function["Properties"]:
        raise SystemExit(f"template.yaml: {FUNCTION_ID} has no Metadata or no CodeUri; update tools/package.py")
    lines = text.splitlines(keepends=True)
    code_line, code_column = function["Properties"].lc.value("CodeUri")
    lines[code_line] = lines[code_line][:code_column] + code_uri + "\n"
    metadata_line, _ = function.lc.key("Metadata")
    properties_line, _ = function.lc.key("Properties")
    if properties_line < metadata_line:
        raise SystemExit(f"template.yaml: {FUNCTION_ID}'s Metadata must come before its Properties")
    del lines[metadata_line:properties_line]
    header = (
        "# Made by `make package` from template.yaml: the function's code is the prebuilt arm64 package beside\n"
        f"# this file ({code_uri}). Deploy with `sam deploy --template-file <this file> --guided`.\n"
    )
    return header + "".join(lines)


class _ShortFormConstructor(SafeConstructor):
    """Reads CloudFormation's short forms (`!Ref X`, `!Sub ...`) as plain data: `{"Ref": "X"}`."""


def _short_form(constructor: SafeConstructor, suffix: str, node) -> dict:
    if isinstance(node, SequenceNode):
        value = constructor.construct_sequence(node, deep=True)
    elif isinstance(node, MappingNode):
        value = constructor.construct_mapping(node, deep=True)
    else:
        value = constructor.construct_scalar(node)
    return {suffix: value}


_ShortFormConstructor.add_multi_constructor("!", _short_form)


def load_plain(text: str) -> dict:
    """A CloudFormation template as plain data."""
    yaml = YAML(typ="safe", pure=True)
    yaml.Constructor = _ShortFormConstructor
    return yaml.load(text)


def check_packaged(original: str, packaged: str, code_uri: str) -> None:
    """Fails unless `packaged` reads as `original` with only the two intended changes."""
    before, after = load_plain(original), load_plain(packaged)
    del before["Resources"][FUNCTION_ID]["Metadata"]
    before["Resources"][FUNCTION_ID]["Properties"]["CodeUri"] = code_uri
    if before != after:
        raise SystemExit("the packaged template differs from template.yaml in more than CodeUri and Metadata")


def write(path: Path, data: bytes) -> None:
    """Writes `data` to `path` through a temporary file, so that no half-written artifact is ever left."""
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def lint_rules(out: Path) -> Path:
    """Writes the cfn-lint rule package to `out`/cfn-lint-rules: the rules, and the schemas in its schema/
    folder, where the rules look first. Returns the package's folder."""
    rules = out / "cfn-lint-rules"
    (rules / "schema").mkdir(parents=True, exist_ok=True)
    write(rules / "MrkProvider.py", (ROOT / "cfn-lint-rules" / "MrkProvider.py").read_bytes())
    for schema in sorted((ROOT / "schema").glob("*.json")):
        write(rules / "schema" / schema.name, schema.read_bytes())
    return rules


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", type=Path, required=True, help="the arm64 bootstrap (make build)")
    parser.add_argument("--out", type=Path, required=True, help="the folder to write the artifacts to")
    args = parser.parse_args(argv)
    if not args.bootstrap.is_file():
        print(f"{args.bootstrap} is missing: run `make build` first (make package does)", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)

    package = zip_bytes(args.bootstrap.read_bytes())
    write(args.out / ZIP_NAME, package)
    digest = hashlib.sha256(package).hexdigest()
    write(args.out / f"{ZIP_NAME}.sha256", f"{digest}  {ZIP_NAME}\n".encode())

    original = (ROOT / "template.yaml").read_text(encoding="utf-8")
    packaged = packaged_template(original, ZIP_NAME)
    check_packaged(original, packaged, ZIP_NAME)
    write(args.out / "template.yaml", packaged.encode())
    application = load_plain(original)["Metadata"]["AWS::ServerlessRepo::Application"]
    for key in SERVERLESS_REPO_FILES:
        shutil.copyfile(ROOT / application[key], args.out / application[key])
    lint_rules(args.out)

    print(f"{args.out / ZIP_NAME}: {len(package):,} bytes, sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
