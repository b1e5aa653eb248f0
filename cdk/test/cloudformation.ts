import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

/** A CloudFormation template, or a part of one, as plain data. */
export type Json = any;

/** The provider's SAM template, template.yaml at the top of the project. */
export const TEMPLATE_PATH = path.join(__dirname, '..', '..', '..', 'template.yaml');

const INTRINSICS = ['Ref', 'Sub', 'GetAtt', 'If', 'Split', 'Join', 'Not', 'Equals', 'Select', 'ImportValue', 'FindInMap'];

/** template.yaml as plain data, its short forms in the long form: `!Ref X` is `{ Ref: 'X' }`. */
export function loadTemplateYaml(): Json {
  const long = (name: string) => (name === 'Ref' ? 'Ref' : `Fn::${name}`);
  const customTags = INTRINSICS.flatMap((name) => [
    {
      tag: `!${name}`,
      resolve: (value: string) => ({ [long(name)]: name === 'GetAtt' ? value.split('.') : value }),
    },
    { tag: `!${name}`, collection: 'seq' as const, resolve: (seq: Json) => ({ [long(name)]: seq.toJSON() }) },
    { tag: `!${name}`, collection: 'map' as const, resolve: (map: Json) => ({ [long(name)]: map.toJSON() }) },
  ]);
  return parse(readFileSync(TEMPLATE_PATH, 'utf8'), { customTags });
}

/** What a template's intrinsic functions are evaluated against. */
export interface Deployment {
  /** Parameter values as CloudFormation receives them (strings; lists comma-separated). */
  readonly parameters: { [name: string]: string };
  /** A name for each resource of the template that others reference, so that two templates compare. */
  readonly resourceNames: { [logicalId: string]: string };
}

const PSEUDO: { [name: string]: string } = {
  'AWS::Partition': 'aws',
  'AWS::AccountId': '123456789012',
  'AWS::Region': 'us-east-1',
  'AWS::StackName': 'stack',
};
const NO_VALUE = Symbol('AWS::NoValue');

/**
 * `value` with every intrinsic function of `template` evaluated as CloudFormation would for `deployment`:
 * a resource's `Ref` and `GetAtt` become `<name>.Ref` and `<name>.<attribute>`, `AWS::NoValue` removes
 * the property or list item. Parameters default to the template's defaults.
 */
export function evaluate(template: Json, deployment: Deployment, value: Json): Json {
  const parameters: { [name: string]: string | string[] } = {};
  for (const [name, declaration] of Object.entries<Json>(template.Parameters ?? {})) {
    const given = deployment.parameters[name] ?? declaration.Default;
    if (given !== undefined) {
      parameters[name] = declaration.Type === 'CommaDelimitedList' ? String(given).split(',') : String(given);
    }
  }
  const resourceName = (logicalId: string): string => {
    const name = deployment.resourceNames[logicalId];
    if (name === undefined) {
      throw new Error(`the template references ${logicalId}, which has no name in the comparison`);
    }
    return name;
  };
  const ref = (name: string): Json => {
    if (name === 'AWS::NoValue') {
      return NO_VALUE;
    }
    return PSEUDO[name] ?? parameters[name] ?? `${resourceName(name)}.Ref`;
  };
  const conditions: { [name: string]: boolean } = {};
  const run = (node: Json): Json => {
    if (Array.isArray(node)) {
      return node.map(run).filter((item) => item !== NO_VALUE);
    }
    if (node === null || typeof node !== 'object') {
      return node;
    }
    const keys = Object.keys(node);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) {
      const argument = node[keys[0]];
      switch (keys[0]) {
        case 'Ref':
          return ref(argument);
        case 'Fn::GetAtt':
          return `${resourceName(argument[0])}.${argument[1]}`;
        case 'Fn::Sub': {
          const [text, variables] = typeof argument === 'string' ? [argument, {}] : argument;
          return text.replace(/\$\{([^}]+)\}/g, (_: string, name: string) => {
            if (name in variables) {
              return run(variables[name]);
            }
            const [logicalId, attribute] = name.split('.');
            return attribute === undefined ? ref(logicalId) : `${resourceName(logicalId)}.${attribute}`;
          });
        }
        case 'Fn::Join':
          return run(argument[1]).join(argument[0]);
        case 'Fn::Split':
          return String(run(argument[1])).split(argument[0]);
        case 'Fn::If':
          if (!(argument[0] in conditions)) {
            throw new Error(`unknown condition ${argument[0]}`);
          }
          return run(conditions[argument[0]] ? argument[1] : argument[2]);
        case 'Fn::Equals':
          return String(run(argument[0])) === String(run(argument[1]));
        case 'Fn::Not':
          return !run(argument[0]);
        case 'Fn::FindInMap': {
          const [mapping, top, second] = run(argument);
          return template.Mappings[mapping][top][second];
        }
        default:
          throw new Error(`${keys[0]} is not evaluated here`);
      }
    }
    return Object.fromEntries(
      Object.entries(node)
        .map(([key, item]) => [key, run(item)])
        .filter(([, item]) => item !== NO_VALUE),
    );
  };
  for (const [name, expression] of Object.entries(template.Conditions ?? {})) {
    conditions[name] = run(expression);
  }
  return run(value);
}

/** The logical ids of a template's resources of `type`. */
export function resourcesOfType(template: Json, type: string): string[] {
  return Object.entries<Json>(template.Resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([logicalId]) => logicalId);
}

/**
 * IAM policies as IAM reads them: an action, resource or condition value alone is a list of one, and the
 * order within those lists does not matter.
 */
export function normalizePolicies(policies: Json[]): Json[] {
  const list = (value: Json): Json[] => (Array.isArray(value) ? [...value] : [value]).sort();
  return policies.map((policy) => ({
    PolicyName: policy.PolicyName,
    Version: policy.PolicyDocument.Version,
    Statement: [policy.PolicyDocument.Statement].flat().map((statement: Json) => ({
      ...statement,
      Action: list(statement.Action),
      Resource: list(statement.Resource),
      ...(statement.Condition === undefined
        ? {}
        : {
            Condition: Object.fromEntries(
              Object.entries<Json>(statement.Condition).map(([operator, keys]) => [
                operator,
                Object.fromEntries(Object.entries(keys).map(([key, value]) => [key, list(value)])),
              ]),
            ),
          }),
    })),
  }));
}
