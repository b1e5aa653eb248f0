/**
 * Synth-time checks of the properties the provider validates again at deploy time (docs/reference.md sections 3-5).
 * Catching a bad region or parameter name here turns a failed deployment (and its rollback) into an
 * error on the line that wrote it. Values that are unresolved tokens are known only at deploy time and
 * are skipped: the provider checks them.
 */
import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Thrown for a property the provider would refuse; the message starts with the construct's path. */
export class MrkProviderValidationError extends Error {
  constructor(scope: IConstruct, message: string) {
    super(`[${scope.node.path}] ${message}`);
    this.name = 'MrkProviderValidationError';
  }
}

/** Region-name prefixes of the partitions other than `aws`; the longer `us-iso` prefixes come first. */
const PARTITIONS: ReadonlyArray<[string, string]> = [
  ['cn-', 'aws-cn'],
  ['us-gov-', 'aws-us-gov'],
  ['us-isob-', 'aws-iso-b'],
  ['us-isof-', 'aws-iso-f'],
  ['us-iso-', 'aws-iso'],
  ['eu-isoe-', 'aws-iso-e'],
  ['eusc-', 'aws-eusc'],
];

/** Lowercase words joined by `-`, ending in a number: `eu-west-1`, `us-gov-west-1`, `ap-southeast-5`. */
const REGION_NAME = /^[a-z]+(-[a-z]+){1,3}-[0-9]{1,2}$/;

/** The partition of a region name (`aws`, `aws-cn`, ...), or `undefined` for text that is not one. */
export function partitionOf(region: string): string | undefined {
  if (!REGION_NAME.test(region)) {
    return undefined;
  }
  return PARTITIONS.find(([prefix]) => region.startsWith(prefix))?.[1] ?? 'aws';
}

/** `true` when the value is known at synth time. */
export function isLiteral(value: unknown): boolean {
  return !Token.isUnresolved(value);
}

/**
 * Checks one region property: a region name when known. Returns the problem as a phrase, or
 * `undefined`.
 */
export function regionProblem(region: string): string | undefined {
  if (!isLiteral(region)) {
    return undefined;
  }
  return partitionOf(region) === undefined
    ? `'${region}' is not a region name (expected something like eu-west-1)`
    : undefined;
}

/** The most regions one list may name, as the provider accepts (`MAX_REGIONS` in src/region.rs). */
export const MAX_REGIONS = 50;

/**
 * Checks a list of regions: not empty, at most {@link MAX_REGIONS}, each a region name, none twice, one
 * partition. Tokens are skipped. Returns the partition of the known regions (if any) or throws.
 */
export function checkRegionList(scope: IConstruct, property: string, regions: string[]): string | undefined {
  if (!isLiteral(regions)) {
    return undefined;
  }
  if (regions.length === 0) {
    throw new MrkProviderValidationError(scope, `${property} is empty; name at least one region`);
  }
  if (regions.length > MAX_REGIONS) {
    throw new MrkProviderValidationError(
      scope,
      `${property}: ${regions.length} regions are listed; at most ${MAX_REGIONS} are accepted`,
    );
  }
  let first: { region: string; partition: string } | undefined;
  const seen = new Set<string>();
  for (const region of regions) {
    if (!isLiteral(region)) {
      continue;
    }
    const problem = regionProblem(region);
    if (problem) {
      throw new MrkProviderValidationError(scope, `${property}: ${problem}`);
    }
    const partition = partitionOf(region) as string;
    if (first === undefined) {
      first = { region, partition };
    } else if (partition !== first.partition) {
      throw new MrkProviderValidationError(
        scope,
        `${property}: '${region}' is in partition ${partition} but '${first.region}' is in ${first.partition}; ` +
          'list regions of one partition',
      );
    }
    if (seen.has(region)) {
      throw new MrkProviderValidationError(scope, `${property}: '${region}' is listed twice`);
    }
    seen.add(region);
  }
  return first?.partition;
}

/** The longest name SSM accepts (its 2048-character limit includes 1037 reserved for itself). */
export const MAX_PARAMETER_NAME_LENGTH = 1011;
/** The deepest hierarchy SSM accepts. */
export const MAX_PARAMETER_LEVELS = 15;

/**
 * SSM's rules for a parameter name, and the provider's path prefix, as the provider applies them
 * (`check` in src/resources/parameter_names.rs; tests/fixtures/validation-cases.json holds the cases
 * both must agree on). Returns the problem as a phrase, or `undefined` for a good name or a token.
 *
 * `prefix` is the provider's `PARAMETER_PREFIX`, a path: `/app` and `/app/` both allow `/app/anything`
 * and nothing else (not `/app` itself, not `/application`). Only the deployed function knows it, so the
 * constructs leave it at `/`, which allows every name.
 */
export function parameterNameProblem(name: string, prefix: string = '/'): string | undefined {
  if (!isLiteral(name)) {
    return undefined;
  }
  const shown = name.length > 80 ? `${name.slice(0, 80)}...` : name;
  if (!name.startsWith('/')) {
    return `'${shown}' must start with '/'`;
  }
  const bad = [...name].find((c) => !/[a-zA-Z0-9_.\-/]/.test(c));
  if (bad !== undefined) {
    return `'${shown}' contains '${bad}'; SSM allows only letters a-z and A-Z, digits, '_', '.', '-' and '/'`;
  }
  if (name.length > MAX_PARAMETER_NAME_LENGTH) {
    return `'${shown}' is ${name.length} characters long; SSM allows at most ${MAX_PARAMETER_NAME_LENGTH}`;
  }
  const levels = name.slice(1).split('/');
  if (levels.some((level) => level === '')) {
    return `'${shown}' has an empty level (a '//' or a '/' at the end)`;
  }
  if (levels.length > MAX_PARAMETER_LEVELS) {
    return `'${shown}' has ${levels.length} levels; SSM allows at most ${MAX_PARAMETER_LEVELS}`;
  }
  const first = levels[0].toLowerCase();
  if (first.startsWith('aws') || first.startsWith('ssm')) {
    return `'${shown}' starts with '${levels[0].slice(0, 3)}'; SSM reserves names that begin with aws or ssm (in any case)`;
  }
  const base = prefix.replace(/\/+$/, '');
  if (base !== '' && !(name.startsWith(base) && name.slice(base.length).startsWith('/'))) {
    return (
      `'${shown}' is outside this provider's PARAMETER_PREFIX '${prefix}'; ` +
      `use a name that starts with '${base}/'`
    );
  }
  return undefined;
}

/** Checks a list of parameter names: not empty, none twice, each by SSM's rules. */
export function checkParameterNames(scope: IConstruct, property: string, names: string[]): void {
  if (!isLiteral(names)) {
    return;
  }
  if (names.length === 0) {
    throw new MrkProviderValidationError(scope, `${property} is empty; name at least one parameter`);
  }
  const seen = new Set<string>();
  for (const name of names) {
    const problem = parameterNameProblem(name);
    if (problem) {
      throw new MrkProviderValidationError(scope, `${property}: ${problem}`);
    }
    if (isLiteral(name) && seen.has(name)) {
      throw new MrkProviderValidationError(scope, `${property}: '${name}' is listed twice`);
    }
    seen.add(name);
  }
}

/** Renders a `{ key: value }` map as CloudFormation's `[{ Key, Value }]` tag list. */
export function renderTags(
  tags: { [key: string]: string } | undefined,
): Array<{ Key: string; Value: string }> | undefined {
  return tags === undefined ? undefined : Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** Drops the properties left `undefined`, so that the provider applies its defaults. */
export function definedOnly(properties: { [name: string]: unknown }): { [name: string]: unknown } {
  return Object.fromEntries(Object.entries(properties).filter(([, value]) => value !== undefined));
}

/**
 * A boolean as CloudFormation sends it to the function (`"true"` / `"false"`), so that the template says
 * what the provider receives.
 */
export function cfnBoolean(value: boolean | undefined): string | undefined {
  return value === undefined ? undefined : String(value);
}
