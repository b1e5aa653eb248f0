import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Refresh, ReplicaKey, ReplicaKeyProps } from 'mrk-provider-cdk';
import { testApp, PRIMARY_KEY_ARN, twoRegions } from './helpers';

/** JSON with sorted keys, as the construct hashes it. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as any)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A statement of a key policy, for user `name` of the account. */
function allow(name: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['kms:Decrypt'],
    resources: ['*'],
    principals: [new iam.ArnPrincipal(`arn:aws:iam::123456789012:role/${name}`)],
  });
}

interface Synthesized {
  /** The ReplicaKey's `Refresh`. */
  refresh: unknown;
  /** The primary key's `KeyPolicy` as the template shows it. */
  keyPolicy: unknown;
}

/**
 * A ReplicaKey of a kms.Key of the app, synthesized in a new app. `change` runs after the ReplicaKey is
 * made, as a grant of a later construct would.
 */
function synthesize(
  props: Partial<ReplicaKeyProps> = {},
  change: (key: kms.Key) => void = () => undefined,
  stackOf: (app: App) => Stack = (app) => twoRegions({ app }).primary,
): Synthesized {
  const stack = stackOf(testApp());
  const key = new kms.Key(stack, 'AppKey', { multiRegion: true });
  new ReplicaKey(stack, 'Replicas', { primaryKey: key, replicaRegions: ['eu-west-1', 'ap-southeast-2'], ...props });
  change(key);
  const template = Template.fromStack(stack);
  const [replicas] = Object.values(template.findResources('Custom::ReplicaKey'));
  const [primary] = Object.values(template.findResources('AWS::KMS::Key'));
  return { refresh: replicas.Properties.Refresh, keyPolicy: primary.Properties.KeyPolicy };
}

describe('ReplicaKey Refresh', () => {
  it("is the SHA-256 of a kms.Key's policy as the template shows it, when no policy is given", () => {
    const { refresh, keyPolicy } = synthesize();
    assert.match(refresh as string, /^[0-9a-f]{64}$/);
    assert.equal(refresh, createHash('sha256').update(canonical(keyPolicy)).digest('hex'));
  });

  it('hashes the tokens of an environment-agnostic stack as the template shows them', () => {
    // GIVEN a stack without account: the default key policy names the account with { Ref: AWS::AccountId }
    const { refresh, keyPolicy } = synthesize({}, undefined, (app) => new Stack(app, 'Agnostic'));
    assert.match(JSON.stringify(keyPolicy), /AWS::AccountId/);
    assert.equal(refresh, createHash('sha256').update(canonical(keyPolicy)).digest('hex'));
  });

  it('is the same in two syntheses of the same policy', () => {
    assert.equal(synthesize().refresh, synthesize().refresh);
    const grant = (key: kms.Key) => key.addToResourcePolicy(allow('reader'));
    assert.equal(synthesize({}, grant).refresh, synthesize({}, grant).refresh);
  });

  it('changes with the policy, a statement added after the ReplicaKey included', () => {
    const before = synthesize().refresh;
    const after = synthesize({}, (key) => key.addToResourcePolicy(allow('reader'))).refresh;
    const other = synthesize({}, (key) => key.addToResourcePolicy(allow('writer'))).refresh;
    assert.notEqual(before, after);
    assert.notEqual(after, other);
  });

  it("follows a policy set on the key's CfnKey after the ReplicaKey (an escape hatch), and its absence", () => {
    const policy = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:*' }],
    };
    const set = (value: unknown) => (key: kms.Key) => {
      (key.node.defaultChild as kms.CfnKey).keyPolicy = value;
    };
    const { refresh, keyPolicy } = synthesize({}, set(policy));
    assert.deepEqual(keyPolicy, policy);
    assert.equal(refresh, createHash('sha256').update(canonical(policy)).digest('hex'));
    assert.equal(synthesize({}, set(undefined)).refresh, undefined);
  });

  it('is left out when the replicas have a policy of their own', () => {
    const policy = new iam.PolicyDocument({ statements: [allow('admin')] });
    assert.equal(synthesize({ policy }).refresh, undefined);
    const perRegion = { policy: { Version: '2012-10-17', Statement: [] } };
    assert.equal(
      synthesize({ regionSettings: { 'eu-west-1': perRegion, 'ap-southeast-2': perRegion } }).refresh,
      undefined,
    );
  });

  it("is still the hash when only some regions have a policy of their own (the others follow the primary's)", () => {
    const perRegion = { policy: { Version: '2012-10-17', Statement: [] } };
    assert.match(synthesize({ regionSettings: { 'eu-west-1': perRegion } }).refresh as string, /^[0-9a-f]{64}$/);
  });

  it('is the refresh given, when one is', () => {
    assert.equal(synthesize({ refresh: Refresh.ON_CHANGE }).refresh, undefined);
    assert.equal(synthesize({ refresh: Refresh.onValueChange('v2') }).refresh, 'v2');
    const [first, second] = [
      synthesize({ refresh: Refresh.EVERY_DEPLOYMENT }),
      synthesize({ refresh: Refresh.EVERY_DEPLOYMENT }),
    ];
    assert.notEqual(first.refresh, second.refresh);
  });

  it('is left out for a key ARN or an imported key: their policy is not in the app', () => {
    for (const primaryKey of [
      PRIMARY_KEY_ARN,
      (stack: Stack) => kms.Key.fromKeyArn(stack, 'Imported', PRIMARY_KEY_ARN),
    ]) {
      const { primary } = twoRegions();
      new ReplicaKey(primary, 'Replicas', {
        primaryKey: typeof primaryKey === 'string' ? primaryKey : primaryKey(primary),
        replicaRegions: ['eu-west-1'],
      });
      const [replicas] = Object.values(Template.fromStack(primary).findResources('Custom::ReplicaKey'));
      assert.equal(replicas.Properties.Refresh, undefined);
    }
  });
});
