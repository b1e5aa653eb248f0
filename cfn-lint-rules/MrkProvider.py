"""cfn-lint rules for mrk-provider's custom resource types, from the JSON Schemas of their properties.

Use: `cfn-lint --append-rules <this folder> -- template.yaml`. The schemas are read from `schema/` beside
this file (the release) or `../schema/` (the repository); docs/reference.md, section 9, lists the rules.

One pass validates every `Custom::ReplicaKey`, `Custom::CrossRegionParameter` and
`Custom::CrossRegionParameterReader` of a template; each rule reports the findings of its kind. Values
given with intrinsic functions (`!Ref`, `!GetAtt`, `Fn::If`, ...) are not checked: they are known only
at deploy time, when the provider checks them.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Iterator
from typing import Any

import jsonschema
from cfnlint.rules import CloudFormationLintRule, RuleMatch

SCHEMA_FILES = {
    "Custom::ReplicaKey": "custom-replica-key.json",
    "Custom::CrossRegionParameter": "custom-cross-region-parameter.json",
    "Custom::CrossRegionParameterReader": "custom-cross-region-parameter-reader.json",
}

SERVICE_TOKEN = "E9101"
UNKNOWN = "E9102"
REQUIRED = "E9103"
VALUE = "E9104"
REGION = "E9105"
PARAMETER_NAME = "E9106"


def schema_dir() -> str:
    """The folder of the schemas: `schema/` beside this file, else the repository's `schema/`."""
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in (os.path.join(here, "schema"), os.path.join(here, os.pardir, "schema")):
        if os.path.isfile(os.path.join(candidate, SCHEMA_FILES["Custom::ReplicaKey"])):
            return os.path.normpath(candidate)
    raise FileNotFoundError(f"the mrk-provider schemas are neither in {here}/schema nor in {here}/../schema")


_VALIDATORS: dict[str, jsonschema.protocols.Validator] = {}


def validator(resource_type: str) -> jsonschema.protocols.Validator:
    """The Draft 7 validator of a type's schema, loaded once."""
    if resource_type not in _VALIDATORS:
        with open(os.path.join(schema_dir(), SCHEMA_FILES[resource_type]), encoding="utf-8") as file:
            schema = json.load(file)
        _VALIDATORS[resource_type] = jsonschema.Draft7Validator(schema)
    return _VALIDATORS[resource_type]


def is_intrinsic(value: Any) -> bool:
    """`true` for `{"Ref": ...}`, `{"Fn::...": ...}` and `{"Condition": ...}`: values known at deploy time."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    (key,) = value.keys()
    return key == "Ref" or key == "Condition" or (isinstance(key, str) and key.startswith("Fn::"))


def contains_intrinsic(instance: Any, path: list) -> bool:
    """`true` when `instance`, or any value on `path` into it, is an intrinsic function."""
    node = instance
    if is_intrinsic(node):
        return True
    for key in path:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return False
        if is_intrinsic(node):
            return True
    return False


def shown(path: list) -> str:
    """A property's path as the provider names it: `Tags[0].Key`, `RegionSettings.eu-west-1.Alias`."""
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text


def leaf_errors(error: jsonschema.ValidationError) -> Iterator[jsonschema.ValidationError]:
    """The errors that say what is wrong: inside an `anyOf`/`oneOf`, those of the branch whose type
    matches the value (an item's, deeper down, first); the combinator's own error when no branch's type
    does, or when its branches only require properties."""
    if error.validator in ("anyOf", "oneOf", "allOf") and error.context:
        if all(e.validator == "required" for e in error.context):
            yield error
            return
        useful = [e for e in error.context if e.validator != "type" or len(e.relative_path) > 0]
        chosen = [e for e in useful if len(e.relative_path) > 0] or useful
        if chosen:
            for inner in chosen:
                yield from leaf_errors(inner)
            return
    yield error


def expected(error: jsonschema.ValidationError | None) -> str:
    """What the schema expects of a value, for a message: the description of the nearest schema (the
    failing one, or the `anyOf` around it) that has one."""
    while error is not None:
        description = error.schema.get("description") if isinstance(error.schema, dict) else None
        if description:
            return f" ({description.rstrip('.')})"
        error = error.parent
    return ""


def findings(resource_type: str, properties: Any) -> Iterator[tuple[str, list, str]]:
    """Every finding of one resource's properties: (rule id, path inside Properties, message)."""
    if properties is None:
        properties = {}
    if not isinstance(properties, dict) or is_intrinsic(properties):
        return
    schema = validator(resource_type).schema
    definitions = schema.get("definitions", {})
    seen = set()
    for top in validator(resource_type).iter_errors(properties):
        for error in leaf_errors(top):
            path = list(error.absolute_path)
            if error.validator != "required" and contains_intrinsic(properties, path):
                continue
            for finding in classify(resource_type, error, path, definitions, properties):
                key = (finding[0], tuple(finding[1]), finding[2])
                if key not in seen:
                    seen.add(key)
                    yield finding


def classify(
    resource_type: str, error: jsonschema.ValidationError, path: list, definitions: dict, properties: dict
) -> Iterator[tuple[str, list, str]]:
    """The rule, path and message of one schema error."""
    where = shown(path)
    if error.validator == "required":
        for name in error.validator_value:
            if name in error.instance:
                continue
            if not path and name == "ServiceToken":
                yield SERVICE_TOKEN, [], f"{resource_type} has no ServiceToken; set it to the provider's function ARN"
            else:
                inside = f" in {where}" if where else ""
                yield REQUIRED, path, f"missing required property '{name}'{inside} for {resource_type}"
        return
    if error.validator in ("anyOf", "oneOf") and all(e.validator == "required" for e in error.context or []):
        alternatives = [name for branch in error.validator_value for name in branch.get("required", [])]
        given = [name for name in alternatives if name in error.instance]
        if not given:
            listed = " or ".join(f"'{name}'" for name in alternatives)
            yield REQUIRED, path, f"missing required property {listed} for {resource_type}: give one of them"
        else:
            listed = " and ".join(f"'{name}'" for name in given)
            yield VALUE, path, f"{listed} of {resource_type} are given together; give only one of them"
        return
    if error.validator == "additionalProperties":
        known = list(error.schema.get("properties", {}))
        for name in error.instance:
            if name in known:
                continue
            close = difflib.get_close_matches(str(name), known, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else f"; the properties are {', '.join(known)}"
            yield UNKNOWN, [*path, name], f"unknown property '{shown([*path, name])}' for {resource_type}{hint}"
        return
    if error.schema == definitions.get("region"):
        rule, what = REGION, "is not a region name (expected something like eu-west-1)"
    elif error.schema == definitions.get("parameterName") or (path and path[-1] == "Path"):
        rule, what = PARAMETER_NAME, (
            "is not a parameter name SSM accepts: '/' then 1 to 15 levels of letters, digits, '_', '.' "
            "and '-', at most 1011 characters, not beginning with aws or ssm"
        )
    else:
        rule, what = VALUE, value_problem(error)
    # A bad key of a map (propertyNames: Parameters, RegionSettings) is reported at that key.
    container = _walk(properties, path)
    if isinstance(container, dict) and isinstance(error.instance, str) and error.instance in container:
        path = [*path, error.instance]
    yield rule, path, f"{shown(path) or 'Properties'} of {resource_type}: {json.dumps(error.instance)} {what}"


def value_problem(error: jsonschema.ValidationError) -> str:
    """What is wrong with a value, in words (never a regular expression), and what is expected."""
    limits = {
        "enum": lambda v: "is not one of " + ", ".join(json.dumps(x) for x in v),
        "const": lambda v: f"must be {json.dumps(v)} here",
        "minimum": lambda v: f"is less than {v}",
        "maximum": lambda v: f"is more than {v}",
        "minLength": lambda v: f"is shorter than {v} characters",
        "maxLength": lambda v: f"is longer than {v} characters",
        "minItems": lambda v: f"has fewer than {v} items",
        "maxItems": lambda v: f"has more than {v} items",
        "minProperties": lambda v: f"has fewer than {v} entries",
        "maxProperties": lambda v: f"has more than {v} entries",
        "uniqueItems": lambda v: "lists an item twice",
        "pattern": lambda v: "does not have the expected form",
        "type": lambda v: f"is not of type {' or '.join(v) if isinstance(v, list) else v}",
    }
    describe = limits.get(error.validator)
    problem = describe(error.validator_value) if describe else "is not valid"
    return f"{problem}{expected(error)}"


def _walk(node: Any, path: list) -> Any:
    """The value at `path` inside `node`; `None` when there is none."""
    for key in path:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return None
    return node


class _Findings:
    """The findings of the template last linted, computed once for all six rules."""

    template: Any = None
    items: list[tuple[str, list, str]] = []

    @classmethod
    def of(cls, cfn) -> list[tuple[str, list, str]]:
        if cls.template is not cfn.template:
            items = []
            for resource_type in SCHEMA_FILES:
                for name, resource in cfn.get_resources([resource_type]).items():
                    for rule, path, message in findings(resource_type, resource.get("Properties")):
                        items.append((rule, ["Resources", name, "Properties", *path], message))
            cls.template, cls.items = cfn.template, items
        return cls.items


def well_formed(resource_type: str, definition: str, value: str) -> bool:
    """`true` when `value` passes the schema's definition (a badly formed one is reported once, as such)."""
    schema = validator(resource_type).schema["definitions"][definition]
    return jsonschema.Draft7Validator(schema).is_valid(value)


def literal_strings(value: Any, path: list) -> Iterator[tuple[list, str]]:
    """The literal strings of a list property (or of one comma-separated string), with their paths;
    nothing for an intrinsic function."""
    if isinstance(value, str):
        if "," in value:
            for item in value.split(","):
                yield path, item.strip()
        else:
            yield path, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                yield [*path, index], item


def resources(cfn, types=tuple(SCHEMA_FILES)) -> Iterator[tuple[str, str, dict]]:
    """(type, logical id, properties) of each resource of `types` whose properties are a literal map."""
    for resource_type in types:
        for name, resource in cfn.get_resources([resource_type]).items():
            properties = resource.get("Properties")
            if isinstance(properties, dict) and not is_intrinsic(properties):
                yield resource_type, name, properties


def regions_of(resource_type: str, properties: dict) -> Iterator[tuple[list, str]]:
    """Every literal region a resource names, with its path."""
    for key in ("ReplicaRegions", "Regions", "Region"):
        if key in properties:
            yield from literal_strings(properties[key], [key])
    settings = properties.get("RegionSettings")
    if isinstance(settings, dict) and not is_intrinsic(settings):
        for region in settings:
            yield ["RegionSettings", region], region
    arn = properties.get("PrimaryKeyArn")
    if isinstance(arn, str) and arn.count(":") >= 5:
        yield ["PrimaryKeyArn"], arn.split(":")[3]


def parameter_names_of(resource_type: str, properties: dict) -> Iterator[tuple[list, str]]:
    """Every literal parameter name or path a resource names, with its path."""
    parameters = properties.get("Parameters")
    if resource_type == "Custom::CrossRegionParameter" and isinstance(parameters, dict) and not is_intrinsic(
        parameters
    ):
        for name in parameters:
            yield ["Parameters", name], name
    if "Names" in properties:
        yield from literal_strings(properties["Names"], ["Names"])
    if isinstance(properties.get("Path"), str):
        yield ["Path"], properties["Path"]


class _SchemaRule:
    """What the six rules share: where they are documented, their tags, and `match`, the template's findings
    of this rule's id."""

    id = ""
    source_url = "docs/reference.md#9-checking-templates-before-deploying"
    tags = ["resources", "custom", "mrk-provider"]

    def match(self, cfn):
        return [RuleMatch(path, message) for rule, path, message in _Findings.of(cfn) if rule == self.id]


class ServiceTokenPresent(_SchemaRule, CloudFormationLintRule):
    id = SERVICE_TOKEN
    shortdesc = "mrk-provider resources have a ServiceToken"
    description = (
        "Custom::ReplicaKey, Custom::CrossRegionParameter and Custom::CrossRegionParameterReader need the "
        "provider's ServiceToken"
    )


class KnownProperties(_SchemaRule, CloudFormationLintRule):
    id = UNKNOWN
    shortdesc = "mrk-provider resources have only the properties of their type"
    description = (
        "A property the type does not define (usually a typo) fails the deployment; the closest name is suggested"
    )


class RequiredProperties(_SchemaRule, CloudFormationLintRule):
    id = REQUIRED
    shortdesc = "mrk-provider resources have their required properties"
    description = "PrimaryKeyArn and ReplicaRegions; Regions and Parameters; Region and Names or Path"


class PropertyValues(_SchemaRule, CloudFormationLintRule):
    id = VALUE
    shortdesc = "mrk-provider property values have their type, enumeration and limits"
    description = (
        "Types, enumerations (Type, Tier), sizes (descriptions, policies, values, tags) and ranges "
        "(PendingWindowInDays)"
    )


class RegionNames(_SchemaRule, CloudFormationLintRule):
    id = REGION
    shortdesc = "mrk-provider regions are region names, of the deployment's AllowedRegions when configured"
    description = (
        "ReplicaRegions, Regions, Region and the keys of RegionSettings are region names such as eu-west-1; "
        "with --configure-rule 'E9105:regions=us-east-1 eu-west-1' (the provider's AllowedRegions), only those"
    )
    def __init__(self):
        super().__init__()
        self.config_definition = {"regions": {"default": [], "type": "list", "itemtype": "string"}}
        self.configure()

    def match(self, cfn):
        matches = super().match(cfn)
        # A list in a .cfnlintrc; on the command line, one value of regions separated by spaces (cfn-lint
        # splits its arguments at commas).
        allowed = [region for item in self.config.get("regions", []) for region in str(item).replace(",", " ").split()]
        if not allowed:
            return matches
        for resource_type, name, properties in resources(cfn):
            for path, region in regions_of(resource_type, properties):
                if region not in allowed and well_formed(resource_type, "region", region):
                    matches.append(RuleMatch(
                        ["Resources", name, "Properties", *path],
                        f"{shown(path)} of {resource_type}: '{region}' is not one of the AllowedRegions this rule "
                        f"was configured with ({', '.join(allowed)}); the provider refuses it before any call",
                    ))
        return matches


class ParameterNames(_SchemaRule, CloudFormationLintRule):
    id = PARAMETER_NAME
    shortdesc = "mrk-provider parameter names follow SSM's rules (and the ParameterPrefix, when configured)"
    description = (
        "The keys of Parameters, Names and Path start with '/', use SSM's characters, at most 15 levels and "
        "1011 characters; with --configure-rule E9106:prefix=/cross-region/ (the provider's ParameterPrefix), "
        "they are under it"
    )
    def __init__(self):
        super().__init__()
        self.config_definition = {"prefix": {"default": "/", "type": "string"}}
        self.configure()

    def match(self, cfn):
        matches = super().match(cfn)
        prefix = str(self.config.get("prefix") or "/")
        base = prefix.rstrip("/")
        if not base:
            return matches
        for resource_type, name, properties in resources(cfn):
            for path, parameter in parameter_names_of(resource_type, properties):
                if not parameter.startswith(base + "/") and well_formed(resource_type, "parameterName", parameter):
                    matches.append(RuleMatch(
                        ["Resources", name, "Properties", *path],
                        f"{shown(path)} of {resource_type}: '{parameter}' is outside the ParameterPrefix '{prefix}' "
                        f"this rule was configured with; the provider refuses it before any call",
                    ))
        return matches
