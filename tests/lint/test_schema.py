"""The JSON Schemas of schema/ against tests/fixtures/validation-cases.json, which the provider's Rust
tests and the CDK constructs' tests read too: each schema accepts exactly the cases the table accepts,
except the rules the table marks as beyond a JSON Schema (`schemaAccepts`), which the schema must let
through."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
from conftest import ROOT, SCHEMAS, TABLE, properties_of, shown

VALIDATORS = {
    resource_type: jsonschema.Draft7Validator(json.loads(path.read_text(encoding="utf-8")))
    for resource_type, path in SCHEMAS.items()
}


@pytest.mark.parametrize("resource_type", sorted(SCHEMAS))
def test_each_schema_is_a_valid_draft_7_schema_with_a_description_per_property(resource_type):
    schema = VALIDATORS[resource_type].schema
    jsonschema.Draft7Validator.check_schema(schema)
    assert schema["title"] == resource_type
    undescribed = [name for name, spec in schema["properties"].items() if "description" not in spec
                   and "description" not in schema["definitions"].get(spec.get("$ref", "").split("/")[-1], {})]
    assert undescribed == [], "an IDE shows a property's description: give each one"


def test_the_definitions_the_schemas_share_are_the_same_in_each():
    definitions = {t: v.schema["definitions"] for t, v in VALIDATORS.items()}
    shared = set.intersection(*(set(d) for d in definitions.values()))
    assert {"region", "regionList", "parameterName", "tags", "boolean"} <= shared
    for name in sorted(shared):
        versions = {json.dumps(d[name], sort_keys=True) for d in definitions.values()}
        assert len(versions) == 1, f"definitions.{name} differs between the schemas; keep one text"


def test_every_case_of_the_table_gets_the_schemas_verdict():
    cases = TABLE["properties"]
    assert len(cases) > 80, "the table has its property cases"
    wrong = []
    for case in cases:
        errors = list(VALIDATORS[case["type"]].iter_errors(properties_of(case)))
        accepts = case["valid"] or "schemaAccepts" in case
        if accepts and errors:
            wrong.append(f"{shown(case)}: refused ({errors[0].message[:120]}), but the table accepts it"
                         + (" (schemaAccepts)" if not case["valid"] else ""))
        elif not accepts and not errors:
            wrong.append(f"{shown(case)}: accepted, but the table refuses it")
    assert wrong == [], f"{len(wrong)} of {len(cases)} cases disagree:\n" + "\n".join(wrong)


def test_schema_accepts_marks_only_refused_cases_with_a_reason():
    for case in TABLE["properties"]:
        if "schemaAccepts" in case:
            assert not case["valid"] and len(case["schemaAccepts"]) > 20, shown(case)


def test_every_parameter_name_and_region_case_gets_the_schemas_verdict():
    definitions = VALIDATORS["Custom::ReplicaKey"].schema["definitions"]
    name = jsonschema.Draft7Validator(definitions["parameterName"])
    region = jsonschema.Draft7Validator(definitions["region"])
    wrong = [f"{c['name'][:60]!r} ({c['why']})" for c in TABLE["parameterNames"]
             if c["prefix"] == "/" and name.is_valid(c["name"]) != c["valid"]]
    wrong += [f"{c['region']!r} ({c['why']})" for c in TABLE["regions"]
              if region.is_valid(c["region"]) != (c["partition"] is not None)]
    assert wrong == [], "\n".join(wrong)


def rust_properties(path: str) -> set[str]:
    """The property names of a `struct Properties` in a Rust spec file: its fields in PascalCase, or
    their `rename`."""
    text = (ROOT / path).read_text(encoding="utf-8")
    body = text[text.index("struct Properties {"):]
    body = body[:body.index("\n}")]
    names = set()
    for attributes, field in re.findall(r"((?:\s*#\[serde\([^\n]*\)\])*)\s*(\w+): Option<", body):
        renamed = re.search(r'rename = "(\w+)"', attributes)
        names.add(renamed.group(1) if renamed else "".join(w.capitalize() for w in field.split("_")))
    return names


@pytest.mark.parametrize(("resource_type", "path", "contract_only"), [
    ("Custom::ReplicaKey", "src/resources/replica_key/spec/mod.rs", set()),
    ("Custom::CrossRegionParameter", "src/resources/cross_region_parameter/spec.rs", set()),
    ("Custom::CrossRegionParameterReader", "src/resources/parameter_reader/spec.rs", set()),
])
def test_each_schema_names_the_properties_the_provider_decodes(resource_type, path, contract_only):
    in_rust = rust_properties(path)
    assert len(in_rust) >= 6, f"{path}: the struct Properties was found"
    in_schema = set(VALIDATORS[resource_type].schema["properties"]) - {"ServiceToken", "ServiceTimeout"}
    assert in_rust <= in_schema, f"the schema lacks {sorted(in_rust - in_schema)}"
    assert in_schema - in_rust <= contract_only, f"the provider does not decode {sorted(in_schema - in_rust)}"
