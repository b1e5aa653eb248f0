import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Aws, CfnParameter } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { ReplicaKey, ReplicaKeyProps, ReplicaRegionSettings } from 'mrk-provider-cdk';
import { PRIMARY_KEY_ARN, throwsWith, twoRegions } from './helpers';

const REGIONS = ['eu-west-1', 'ap-southeast-2'];

/** A key policy that lets S3 of `region` alone use the key for the account's principals. */
function viaS3(region: string): iam.PolicyDocument {
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        sid: 'KeyAdministration',
        actions: ['kms:*'],
        resources: ['*'],
        principals: [new iam.AccountRootPrincipal()],
      }),
      new iam.PolicyStatement({
        sid: `UseThroughS3In${region}`,
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        principals: [new iam.AnyPrincipal()],
        conditions: {
          StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com`, 'kms:CallerAccount': '123456789012' },
        },
      }),
    ],
  });
}

/** The `RegionSettings` of a ReplicaKey of PRIMARY_KEY_ARN into REGIONS with `props`. */
function rendered(props: Partial<ReplicaKeyProps>): any {
  const { primary } = twoRegions();
  new ReplicaKey(primary, 'Replicas', { primaryKey: PRIMARY_KEY_ARN, replicaRegions: REGIONS, ...props });
  const [resource] = Object.values(Template.fromStack(primary).findResources('Custom::ReplicaKey'));
  return resource.Properties.RegionSettings;
}

/** A function that makes a ReplicaKey with these region settings. */
function withSettings(regionSettings: { [region: string]: ReplicaRegionSettings }): () => unknown {
  return () => rendered({ regionSettings });
}

describe('ReplicaKey regionSettings', () => {
  it('renders RegionSettings with the names of the contract: Description, KeyPolicy, Tags, Alias, Enabled', () => {
    const settings = rendered({
      regionSettings: {
        'eu-west-1': {
          description: 'app data, Ireland',
          policy: viaS3('eu-west-1'),
          tags: { team: 'eu', 'cost-center': '42' },
          alias: 'alias/app-data-eu',
          enabled: false,
        },
        'ap-southeast-2': { policy: viaS3('ap-southeast-2') },
      },
    });
    assert.deepEqual(Object.keys(settings).sort(), ['ap-southeast-2', 'eu-west-1']);
    const eu = settings['eu-west-1'];
    assert.deepEqual(Object.keys(eu).sort(), ['Alias', 'Description', 'Enabled', 'KeyPolicy', 'Tags']);
    assert.equal(eu.Description, 'app data, Ireland');
    assert.deepEqual(eu.Tags, [
      { Key: 'team', Value: 'eu' },
      { Key: 'cost-center', Value: '42' },
    ]);
    assert.equal(eu.Alias, 'alias/app-data-eu');
    assert.equal(eu.Enabled, 'false');
    // Each policy is the rendered document, naming its own region
    assert.equal(eu.KeyPolicy.Version, '2012-10-17');
    assert.equal(eu.KeyPolicy.Statement[1].Condition.StringEquals['kms:ViaService'], 's3.eu-west-1.amazonaws.com');
    const ap = settings['ap-southeast-2'];
    assert.deepEqual(Object.keys(ap), ['KeyPolicy']);
    assert.equal(ap.KeyPolicy.Statement[1].Condition.StringEquals['kms:ViaService'], 's3.ap-southeast-2.amazonaws.com');
  });

  it('passes a policy given as an object or as JSON text as it is', () => {
    const object = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:*', Resource: '*' }],
    };
    const settings = rendered({
      regionSettings: { 'eu-west-1': { policy: object }, 'ap-southeast-2': { policy: JSON.stringify(object) } },
    });
    assert.deepEqual(settings['eu-west-1'].KeyPolicy, object);
    assert.equal(settings['ap-southeast-2'].KeyPolicy, JSON.stringify(object));
  });

  it('leaves RegionSettings out when it is not set or empty', () => {
    assert.equal(rendered({}), undefined);
    assert.equal(rendered({ regionSettings: {} }), undefined);
  });

  it('keeps the resource-level settings beside it', () => {
    const { primary } = twoRegions();
    const key = new kms.Key(primary, 'AppKey', { multiRegion: true });
    new ReplicaKey(primary, 'Replicas', {
      primaryKey: key,
      replicaRegions: REGIONS,
      alias: 'alias/app-data',
      tags: { team: 'platform' },
      regionSettings: { 'eu-west-1': { alias: 'alias/app-data-eu' } },
    });
    Template.fromStack(primary).hasResourceProperties('Custom::ReplicaKey', {
      Alias: 'alias/app-data',
      Tags: [{ Key: 'team', Value: 'platform' }],
      RegionSettings: { 'eu-west-1': { Alias: 'alias/app-data-eu' } },
    });
  });

  describe('validation', () => {
    it('refuses a region that is not one of replicaRegions, naming it', () => {
      throwsWith(
        withSettings({ 'eu-central-1': { alias: 'alias/x' } }),
        /\[Primary\/Replicas\] regionSettings: 'eu-central-1' is not one of replicaRegions \(eu-west-1, ap-southeast-2\)/,
      );
    });

    it('refuses a region that is a token: CloudFormation map keys are literal', () => {
      throwsWith(
        withSettings({ [Aws.REGION]: { alias: 'alias/x' } }),
        /regionSettings: a region must be known at synth time, not a token/,
      );
    });

    it('leaves the regions to the provider when replicaRegions is a token', () => {
      const { primary } = twoRegions({ roles: true });
      const regions = new CfnParameter(primary, 'Regions', { type: 'CommaDelimitedList' }).valueAsList;
      new ReplicaKey(primary, 'Replicas', {
        primaryKey: PRIMARY_KEY_ARN,
        replicaRegions: regions,
        regionSettings: { 'eu-central-1': { alias: 'alias/app-data-de' } },
      });
      Template.fromStack(primary).hasResourceProperties('Custom::ReplicaKey', {
        RegionSettings: { 'eu-central-1': { Alias: 'alias/app-data-de' } },
      });
    });

    it('refuses a key that is not a region name', () => {
      throwsWith(withSettings({ 'eu-west': {} }), /regionSettings: 'eu-west' is not a region name/);
    });

    it('refuses a malformed alias, naming the region', () => {
      for (const alias of ['app-data', 'alias/', 'alias/aws/app', 'alias/app data']) {
        throwsWith(
          withSettings({ 'eu-west-1': { alias } }),
          new RegExp(`regionSettings\\['eu-west-1'\\]\\.alias '${alias}' is not a valid alias`),
        );
      }
    });

    it('refuses a description longer than KMS accepts', () => {
      throwsWith(
        withSettings({ 'eu-west-1': { description: 'x'.repeat(8193) } }),
        /regionSettings\['eu-west-1'\]\.description is 8193 characters long; KMS allows at most 8192/,
      );
      withSettings({ 'eu-west-1': { description: 'x'.repeat(8192) } })();
    });

    it('refuses tags that KMS or the provider would refuse', () => {
      throwsWith(
        withSettings({ 'eu-west-1': { tags: { 'aws:team': 'x' } } }),
        /regionSettings\['eu-west-1'\]\.tags: tag key 'aws:team' uses a reserved prefix/,
      );
      throwsWith(
        withSettings({ 'eu-west-1': { tags: { 'mrk-provider:stack': 'x' } } }),
        /tag key 'mrk-provider:stack' uses a reserved prefix/,
      );
      throwsWith(withSettings({ 'eu-west-1': { tags: { '': 'x' } } }), /tag key '' must be 1 to 128 characters/);
      throwsWith(
        withSettings({ 'eu-west-1': { tags: { team: 'x'.repeat(257) } } }),
        /the value of tag 'team' is longer than 256 characters/,
      );
      const many = Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`k${i}`, 'v']));
      throwsWith(withSettings({ 'eu-west-1': { tags: many } }), /49 tags are given; at most 48/);
    });

    it('refuses a policy that is not a JSON object, or larger than KMS accepts', () => {
      throwsWith(
        withSettings({ 'eu-west-1': { policy: '{"Version": ' } }),
        /regionSettings\['eu-west-1'\]\.policy is not JSON/,
      );
      throwsWith(withSettings({ 'eu-west-1': { policy: '[]' } }), /policy is JSON but not an object/);
      throwsWith(withSettings({ 'eu-west-1': { policy: [] as any } }), /policy is not an object/);
      const huge = { Version: '2012-10-17', Statement: [{ Sid: 'x'.repeat(33000) }] };
      throwsWith(withSettings({ 'eu-west-1': { policy: huge } }), /policy is \d+ bytes; KMS allows at most 32768/);
    });

    it('refuses a PolicyDocument that is not a valid resource policy, when the app is synthesized', () => {
      const { app, primary } = twoRegions();
      const policy = new iam.PolicyDocument({
        statements: [new iam.PolicyStatement({ actions: ['kms:*'], resources: ['*'] })],
      });
      new ReplicaKey(primary, 'Replicas', {
        primaryKey: PRIMARY_KEY_ARN,
        replicaRegions: REGIONS,
        regionSettings: { 'eu-west-1': { policy } },
      });
      throwsWith(
        () => app.synth(),
        /regionSettings\['eu-west-1'\]\.policy: A PolicyStatement used in a resource-based policy must specify at least one IAM principal/,
      );
    });

    it('checks the resource-level description and tags as the provider does', () => {
      throwsWith(() => rendered({ description: 'x'.repeat(8193) }), /description is 8193 characters long/);
      throwsWith(() => rendered({ tags: { 'AWS:x': 'y' } }), /tags: tag key 'AWS:x' uses a reserved prefix/);
    });
  });
});
