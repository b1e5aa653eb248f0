"""Reads CloudFormation YAML (with the short-form tags: !Ref, !Sub, !GetAtt, ...) into plain data, the
long form: `!Ref X` becomes {"Ref": "X"}, `!GetAtt A.B` becomes {"Fn::GetAtt": ["A", "B"]}."""

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
