"""Reads CloudFormation YAML (with the short-form tags: !Ref, !Sub, !GetAtt, ...) into plain data, the
long form: `!Ref X` becomes {"Ref": "X"}, `!GetAtt A.B` becomes {"Fn::GetAtt": ["A", "B"]}; and the IAM
policy statements of a template, as written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


class _Loader(yaml.SafeLoader):
    pass


def _tag(loader: _Loader, suffix: str, node: yaml.Node) -> dict:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        resource, _, attribute = value.partition(".")
        value = [resource, attribute]
    return {f"Fn::{suffix}": value}


_Loader.add_multi_constructor("!", _tag)


def load(path: Path | str) -> dict:
    """The template at `path` (relative to the project root unless absolute)."""
    with open(ROOT / path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_Loader)


def templates() -> list[Path]:
    """Every CloudFormation template of the project, as `make lint` finds them."""
    return [ROOT / "template.yaml", *sorted((ROOT / "examples").glob("*.yaml"))]


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def statements(template: dict) -> list[tuple[str, dict]]:
    """(policy name, statement) for every statement of every IAM role and policy in the template."""
    found = []
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::IAM::Role":
            for policy in map(when_true, resource["Properties"].get("Policies", [])):
                for statement in as_list(policy["PolicyDocument"]["Statement"]):
                    found.append((policy["PolicyName"], statement))
        elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for statement in as_list(resource["Properties"]["PolicyDocument"]["Statement"]):
                found.append((resource["Type"], statement))
    return found


def when_true(value):
    """The value an `!If [condition, value, !Ref AWS::NoValue]` has when its condition holds."""
    if isinstance(value, dict) and "Fn::If" in value:
        _, value, otherwise = value["Fn::If"]
        assert otherwise == {"Ref": "AWS::NoValue"}
    return value


def actions(statement: dict) -> list[str]:
    return as_list(statement["Action"])


def resources(statement: dict) -> list:
    return as_list(statement["Resource"])


def sub_text(value) -> str:
    """The text of a `!Sub` (or a literal string)."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return sub if isinstance(sub, str) else sub[0]
    assert isinstance(value, str), f"unexpected resource {value!r}"
    return value
