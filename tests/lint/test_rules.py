"""The cfn-lint rules of cfn-lint-rules/, run as a user runs them (`cfn-lint --append-rules`) on the good
and bad templates of tests/lint/templates: a good template gets no finding at all; a bad one gets
exactly the findings its `# expect <rule> <message>` comments list, each on the next line that is not a
comment (JSON has no comments: its expectations are below), with its rule id, line and the start of its
message."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

TEMPLATES = Path(__file__).resolve().parent / "templates"
RULES = ROOT / "cfn-lint-rules"
CFN_LINT = [str(Path(sys.executable).with_name("cfn-lint")), "--append-rules", str(RULES), "--format", "json"]
JSON_EXPECTED = {
    "bad-json.json": [("E9102", 10, "unknown property 'Teir' for Custom::CrossRegionParameter; did you mean 'Tier'?")],
}


def lint(*arguments: str) -> dict[str, list[tuple[str, int, str]]]:
    """cfn-lint's findings per template file name: (rule id, line, message), in line order."""
    done = subprocess.run([*CFN_LINT, *arguments], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode in (0, 2, 4, 6, 8, 10, 12, 14), done.stderr
    found: dict[str, list[tuple[str, int, str]]] = {}
    for match in json.loads(done.stdout or "[]"):
        found.setdefault(Path(match["Filename"]).name, []).append(
            (match["Rule"]["Id"], match["Location"]["Start"]["LineNumber"], match["Message"]))
    return {name: sorted(items) for name, items in found.items()}


def expectations(path: Path) -> list[tuple[str, int, str]]:
    """What a template expects: each `# expect <rule> <start of the message>` comment names the finding on
    the next line that is not a comment."""
    if path.name in JSON_EXPECTED:
        return sorted(JSON_EXPECTED[path.name])
    lines = path.read_text(encoding="utf-8").splitlines()
    expected = []
    for number, line in enumerate(lines, start=1):
        found = re.match(r"\s*# expect (\w+) (.*)", line)
        if found:
            target = next(n for n in range(number + 1, len(lines) + 1) if not lines[n - 1].lstrip().startswith("#"))
            expected.append((found.group(1), target, found.group(2).strip()))
    return sorted(expected)


@pytest.fixture(scope="module")
def findings():
    return lint("--", *(str(p) for p in sorted(TEMPLATES.iterdir())))


TEMPLATE_FILES = sorted(p for p in TEMPLATES.iterdir() if p.suffix in (".yaml", ".json"))


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: p.name)
def test_each_template_gets_exactly_its_expected_findings(findings, path):
    expected = expectations(path)
    got = findings.get(path.name, [])
    if path.name.startswith("good"):
        assert expected == [] and got == [], got
        return
    assert expected, f"{path.name}: a bad template lists what it expects"
    assert [(rule, line) for rule, line, _ in got] == [(rule, line) for rule, line, _ in expected], (
        "\n".join(f"{rule} {line} {message}" for rule, line, message in got))
    for (rule, line, message), (_, _, start) in zip(got, expected, strict=True):
        assert message.startswith(start), f"{rule} at line {line}: {message!r} does not start with {start!r}"


def test_the_examples_and_templates_of_the_project_get_no_finding():
    templates = [str(p) for p in sorted((ROOT / "examples").glob("*.yaml"))]
    assert len(templates) >= 5
    assert lint("--", *templates) == {}


def test_the_rule_package_of_the_release_works_on_its_own(tmp_path):
    # GIVEN the rule package as `make package` writes it to dist/, away from the repository's schema/
    sys.path.insert(0, str(ROOT / "tools"))
    from package import lint_rules

    rules = lint_rules(tmp_path / "dist")
    assert sorted(p.name for p in (rules / "schema").iterdir()) == sorted(p.name for p in (ROOT / "schema").iterdir())
    template = tmp_path / "typo.yaml"
    template.write_text((TEMPLATES / "bad-json.json").read_text(encoding="utf-8"), encoding="utf-8")
    # WHEN cfn-lint runs with it THEN it reports what the repository's rules report
    done = subprocess.run([CFN_LINT[0], "--append-rules", str(rules), "--format", "json", "--", str(template)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert [(m["Rule"]["Id"], m["Location"]["Start"]["LineNumber"]) for m in json.loads(done.stdout)] == [("E9102", 10)]


def test_the_rules_configured_with_a_deployments_prefix_and_regions_report_what_it_refuses(tmp_path):
    # GIVEN a template that is valid for any deployment, and one deployment's ParameterPrefix and regions
    template = tmp_path / "scoped.yaml"
    template.write_text("""Resources:
  Values:
    Type: Custom::CrossRegionParameter
    Properties:
      ServiceToken: arn:aws:lambda:us-east-1:123456789012:function:mrk-provider
      Regions: [eu-west-1, ap-southeast-2]
      Parameters:
        /cross-region/app/x: v
        /app/y: v
""", encoding="utf-8")
    assert lint("--", str(template)) == {}
    # WHEN cfn-lint runs with them
    found = lint("--configure-rule", "E9106:prefix=/cross-region/", "--configure-rule",
                 "E9105:regions=us-east-1 eu-west-1", "--", str(template))
    # THEN the name outside the prefix and the region outside the list are reported where they are written
    assert [(rule, line) for rule, line, _ in found["scoped.yaml"]] == [("E9105", 6), ("E9106", 9)]
    assert "'ap-southeast-2' is not one of the AllowedRegions" in found["scoped.yaml"][0][2]
    assert "'/app/y' is outside the ParameterPrefix '/cross-region/'" in found["scoped.yaml"][1][2]


def test_every_rule_is_documented_in_the_reference():
    reference = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    source = (ROOT / "cfn-lint-rules" / "MrkProvider.py").read_text(encoding="utf-8")
    ids = sorted(set(re.findall(r'= "(E91\d\d)"', source)))
    assert len(ids) == 6
    for rule in ids:
        assert f"| `{rule}` |" in reference, f"{rule} is missing from docs/reference.md section 9"
