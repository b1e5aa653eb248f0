import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import {
  CrossRegionParameter,
  CrossRegionParameterReader,
  ReplicaKey,
  ReplicaRegionSettings,
  ServiceToken,
} from 'mrk-provider-cdk';
import type * as Validate from '../lib/validate';

/**
 * The synth-time checks against the table of cases that the provider's Rust tests read too
 * (tests/fixtures/validation-cases.json; its `about` describes the shape), so that the two cannot drift.
 * validate.ts is internal (not exported by the package), so it is loaded from the build.
 */
const { checkRegionList, parameterNameProblem, partitionOf }: typeof Validate = require(
  path.join(__dirname, '..', '..', 'lib', 'validate.js'),
);

interface NameCase {
  name: string;
  prefix: string;
  valid: boolean;
  error?: string;
  length?: number;
  why: string;
}
interface RegionCase {
  region: string;
  partition: string | null;
  why: string;
}
interface ListCase {
  regions: string[];
  partition: string | null;
  error?: string;
  why: string;
}
interface PropertiesCase {
  type: string;
  set: { [property: string]: unknown };
  valid: boolean;
  error?: string;
  cdk?: string;
  schemaAccepts?: string;
  why: string;
}
interface Table {
  parameterNames: NameCase[];
  regions: RegionCase[];
  regionLists: ListCase[];
  properties: PropertiesCase[];
}

const table: Table = JSON.parse(
  readFileSync(path.join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'validation-cases.json'), 'utf8'),
);

/** A case as a failure shows it: a long name cut, and the rule it exercises. */
function shown(value: unknown, why: string): string {
  const text = JSON.stringify(value);
  return `${text.length > 90 ? `${text.slice(0, 90)}...` : text} (${why})`;
}

/** What is wrong with a rejection, given the table's expectation; `undefined` when they agree. */
function verdict(problem: string | undefined, valid: boolean, error: string | undefined): string | undefined {
  if (valid) {
    if (error !== undefined) return 'an accepted case has no error';
    return problem === undefined ? undefined : `refused (${problem}), but the table accepts it`;
  }
  if (error === undefined) return 'a refused case needs the error its message contains';
  if (problem === undefined) return 'accepted, but the table refuses it';
  return problem.includes(error)
    ? undefined
    : `refused with ${JSON.stringify(problem)}, which lacks ${JSON.stringify(error)}`;
}

function problemOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

describe('the shared validation table (tests/fixtures/validation-cases.json)', () => {
  it('parameterNameProblem agrees on every parameterNames case', () => {
    assert.ok(table.parameterNames.length > 50, 'the table has its parameter names');
    const wrong = table.parameterNames.flatMap((c) => {
      const where = `${shown(c.name, c.why)} under ${JSON.stringify(c.prefix)}`;
      if (c.length !== undefined && c.length !== [...c.name].length) {
        return [`${where}: the table says ${c.length} characters, the name has ${[...c.name].length}`];
      }
      const problem = verdict(parameterNameProblem(c.name, c.prefix), c.valid, c.error);
      return problem === undefined ? [] : [`${where}: ${problem}`];
    });
    assert.deepEqual(wrong, [], `${wrong.length} of ${table.parameterNames.length} cases disagree`);
  });

  it('partitionOf agrees on every regions case', () => {
    assert.ok(table.regions.length > 30, 'the table has its regions');
    const wrong = table.regions.flatMap((c) => {
      const got = partitionOf(c.region) ?? null;
      return got === c.partition
        ? []
        : [`${shown(c.region, c.why)}: partitionOf gives ${got}, the table ${c.partition}`];
    });
    assert.deepEqual(wrong, [], `${wrong.length} of ${table.regions.length} cases disagree`);
  });

  it('checkRegionList agrees on every regionLists case', () => {
    assert.ok(table.regionLists.length > 15, 'the table has its region lists');
    const scope = new App();
    const wrong = table.regionLists.flatMap((c) => {
      const where = shown(c.regions, c.why);
      let partition: string | undefined;
      const problem = problemOf(() => {
        partition = checkRegionList(scope, 'regions', c.regions);
      });
      const mismatch =
        c.partition !== null && problem === undefined && partition !== c.partition
          ? `partition ${partition}, the table ${c.partition}`
          : verdict(problem, c.partition !== null, c.error);
      return mismatch === undefined ? [] : [`${where}: ${mismatch}`];
    });
    assert.deepEqual(wrong, [], `${wrong.length} of ${table.regionLists.length} cases disagree`);
  });

  it('the constructs agree on every properties case they repeat', () => {
    // GIVEN the cases whose properties the constructs check at synth time (`cdk` says why the others are not)
    const cases = table.properties.filter((c) => c.cdk === undefined);
    assert.ok(cases.length > 50, 'the table has the property cases the constructs repeat');
    const wrong = cases.flatMap((c) => {
      // WHEN the construct is made with the case's properties
      const problem = problemOf(() => construct(c.type, expand(c.set) as { [property: string]: any }));
      // THEN it refuses exactly the refused cases, with a message containing the table's error
      const mismatch = verdict(problem, c.valid, c.error);
      return mismatch === undefined ? [] : [`${c.type} ${shown(c.set, c.why)}: ${mismatch}`];
    });
    assert.deepEqual(wrong, [], `${wrong.length} of ${cases.length} cases disagree`);
  });
});

/** The table's `{"$text": [[piece, count], ...]}` as the text it stands for, everywhere in `value`. */
function expand(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(expand);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 1 && entries[0][0] === '$text') {
      return (entries[0][1] as Array<[string, number]>).map(([piece, count]) => piece.repeat(count)).join('');
    }
    return Object.fromEntries(entries.map(([key, item]) => [key, expand(item)]));
  }
  return value;
}

const PRIMARY = 'arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab';

/** `[{Key, Value}]` as the constructs' `{ key: value }` tags. */
function tagMap(tags: unknown): { [key: string]: string } | undefined {
  if (tags === undefined) return undefined;
  return Object.fromEntries((tags as Array<{ Key: string; Value: string }>).map((t) => [t.Key, t.Value]));
}

/** A construct of `type` made from CloudFormation properties, with the table's base for the others. */
function construct(type: string, set: { [property: string]: any }): void {
  const stack = new Stack(new App(), 'Cases', { env: { account: '123456789012', region: 'us-east-1' } });
  const serviceToken = ServiceToken.fromArn('arn:aws:lambda:us-east-1:123456789012:function:mrk-provider');
  const known = (names: string[]) => {
    const unmapped = Object.keys(set).filter((name) => !names.includes(name));
    if (unmapped.length > 0) throw new Error(`the test maps no construct prop for ${unmapped.join(', ')}: give the case a cdk reason`);
  };
  if (type === 'Custom::ReplicaKey') {
    known(['Alias', 'Description', 'KeyPolicy', 'PendingWindowInDays', 'Tags', 'RegionSettings', 'ReplicaRegions']);
    if (set.KeyPolicy !== undefined) {
      // The construct takes an iam.PolicyDocument at the top; a policy as JSON only in regionSettings.
      set = { RegionSettings: { 'eu-west-1': { KeyPolicy: set.KeyPolicy } } };
    }
    const regionSettings =
      set.RegionSettings === undefined
        ? undefined
        : Object.fromEntries(
            Object.entries(set.RegionSettings as { [region: string]: any }).map(([region, s]) => [
              region,
              {
                description: s.Description,
                policy: s.KeyPolicy,
                alias: s.Alias,
                tags: tagMap(s.Tags),
                enabled: s.Enabled,
              } as ReplicaRegionSettings,
            ]),
          );
    new ReplicaKey(stack, 'Key', {
      serviceToken,
      primaryKey: PRIMARY,
      replicaRegions: set.ReplicaRegions ?? ['eu-west-1'],
      alias: set.Alias,
      description: set.Description,
      pendingWindow: set.PendingWindowInDays === undefined ? undefined : Duration.days(Number(set.PendingWindowInDays)),
      tags: tagMap(set.Tags),
      regionSettings,
    });
  } else if (type === 'Custom::CrossRegionParameter') {
    known(['Parameters', 'Tier', 'Description', 'Tags', 'Regions', 'RoleArn', 'ExternalId']);
    new CrossRegionParameter(stack, 'Values', {
      serviceToken,
      regions: set.Regions ?? ['eu-west-1'],
      parameters: set.Parameters ?? { '/app/x': 'v' },
      tier: set.Tier as ssm.ParameterTier | undefined,
      description: set.Description,
      tags: tagMap(set.Tags),
      role: set.RoleArn,
      externalId: set.ExternalId,
    });
  } else if (type === 'Custom::CrossRegionParameterReader') {
    known(['Names', 'Region']);
    new CrossRegionParameterReader(stack, 'Reader', {
      serviceToken,
      region: set.Region ?? 'eu-west-1',
      names: set.Names ?? ['/app/x'],
    });
  } else {
    throw new Error(`the table names an unknown type ${type}`);
  }
  stack.node.validate().forEach((error) => {
    throw new Error(error);
  });
}
