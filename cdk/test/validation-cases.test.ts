import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { App } from 'aws-cdk-lib';
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
interface Table {
  parameterNames: NameCase[];
  regions: RegionCase[];
  regionLists: ListCase[];
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
});
