"""tests/lint: the JSON Schemas of schema/ against the shared table of cases, and the cfn-lint rules of
cfn-lint-rules/ on good and bad templates. Run with the deployment tools' Python (.venv-deploy), which
has cfn-lint and jsonschema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TABLE = json.loads((ROOT / "tests" / "fixtures" / "validation-cases.json").read_text(encoding="utf-8"))
SCHEMAS = {
    "Custom::ReplicaKey": ROOT / "schema" / "custom-replica-key.json",
    "Custom::CrossRegionParameter": ROOT / "schema" / "custom-cross-region-parameter.json",
    "Custom::CrossRegionParameterReader": ROOT / "schema" / "custom-cross-region-parameter-reader.json",
}


def expand(value: Any) -> Any:
    """The table's `{"$text": [[piece, count], ...]}` as the text it stands for, everywhere in `value`."""
    if isinstance(value, dict):
        if set(value) == {"$text"}:
            return "".join(piece * count for piece, count in value["$text"])
        return {key: expand(item) for key, item in value.items()}
    if isinstance(value, list):
        return [expand(item) for item in value]
    return value


def properties_of(case: dict) -> dict:
    """A case's properties: the type's base with the case's `set` keys replacing the base's."""
    return {**TABLE["propertyBases"][case["type"]], **expand(case["set"])}


def shown(case: dict) -> str:
    text = json.dumps(case["set"], ensure_ascii=False)
    return f"{case['type']} {text[:100]}{'...' if len(text) > 100 else ''} ({case['why']})"
