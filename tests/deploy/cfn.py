"""Reads CloudFormation YAML (with the short-form tags: !Ref, !Sub, !GetAtt, ...) into plain data, the
long form: `!Ref X` becomes {"Ref": "X"}, `!GetAtt A.B` becomes {"Fn::GetAtt": ["A", "B"]}; the IAM policy
statements of a template, as written; and a template's resources with given parameter values (`resolve`)."""

from __future__ import annotations

import re
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
    return [ROOT / "template.yaml", ROOT / "target-account.yaml", *sorted((ROOT / "examples").glob("*.yaml"))]


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def statements(template: dict) -> list[tuple[str, dict]]:
    """(policy name, statement) for every statement of every IAM role and policy in the template; a
    conditional one (`!If [condition, statement, !Ref AWS::NoValue]`) as it is when its condition holds."""
    found = []
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::IAM::Role":
            for policy in map(when_true, resource["Properties"].get("Policies", [])):
                for statement in map(when_true, as_list(policy["PolicyDocument"]["Statement"])):
                    found.append((policy["PolicyName"], statement))
        elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for statement in map(when_true, as_list(resource["Properties"]["PolicyDocument"]["Statement"])):
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


_NO_VALUE = object()


def resolve(template: dict, parameters: dict, *, account: str = "123456789012", region: str = "us-east-1") -> dict:
    """The template's Resources as CloudFormation would create them with `parameters` (the others at their
    defaults) in `account` and `region` of the `aws` partition: Ref of a parameter or pseudo parameter,
    Fn::Sub of a string, Fn::If, Fn::Not, Fn::Equals, Fn::Join, Fn::Split and Fn::FindInMap are evaluated, an
    AWS::NoValue drops its key or item, and what names a resource (Ref, Fn::GetAtt) stays as it is."""
    declared = template.get("Parameters", {})
    assert set(parameters) <= set(declared), f"not parameters of the template: {set(parameters) - set(declared)}"
    values: dict[str, Any] = {
        "AWS::Partition": "aws", "AWS::AccountId": account, "AWS::Region": region,
        "AWS::StackName": "stack", "AWS::NoValue": _NO_VALUE,
    }
    for name, parameter in declared.items():
        value = parameters.get(name, parameter.get("Default"))
        assert value is not None, f"parameter {name} has no default: pass it"
        if parameter["Type"] == "CommaDelimitedList" and isinstance(value, str):
            value = value.split(",")
        values[name] = value

    def condition(name: str) -> bool:
        return evaluate(template["Conditions"][name])

    def substitute(match: re.Match) -> str:
        name = match.group(1)
        return str(values[name]) if name in values else match.group(0)

    def evaluate(node: Any) -> Any:
        if isinstance(node, list):
            return [item for item in map(evaluate, node) if item is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            [(function, argument)] = node.items()
            if function == "Ref" and argument in values:
                return values[argument]
            if function == "Fn::If":
                name, when_true, when_false = argument
                return evaluate(when_true if condition(name) else when_false)
            if function == "Fn::Not":
                [inner] = argument
                return not evaluate(inner)
            if function == "Fn::Equals":
                left, right = evaluate(argument)
                return left == right
            if function == "Fn::Sub" and isinstance(argument, str):
                return re.sub(r"\$\{([^}]+)\}", substitute, argument)
            if function == "Fn::Join":
                separator, items = argument
                return separator.join(evaluate(items))
            if function == "Fn::Split":
                separator, text = argument
                return evaluate(text).split(separator)
            if function == "Fn::FindInMap":
                mapping, top, second = evaluate(argument)
                return template["Mappings"][mapping][top][second]
        evaluated = {key: evaluate(value) for key, value in node.items()}
        return {key: value for key, value in evaluated.items() if value is not _NO_VALUE}

    return evaluate(template["Resources"])
