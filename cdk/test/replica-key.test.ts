import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CfnParameter, Duration, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { MrkProviderFunction, ReplicaKey, ServiceToken } from 'mrk-provider-cdk';
import { PRIMARY_KEY_ARN, throwsWith, twoRegions } from './helpers';

describe('ReplicaKey', () => {
  it('renders Custom::ReplicaKey with every property named as in docs/reference.md, booleans and numbers as strings', () => {
    // GIVEN a multi-Region key
    const { primary } = twoRegions();
    const key = new kms.Key(primary, 'AppKey', { multiRegion: true });
    const policy = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({ actions: ['kms:*'], resources: ['*'], principals: [new iam.AccountRootPrincipal()] }),
      ],
    });
    // WHEN every prop is set
    new ReplicaKey(primary, 'Replicas', {
      primaryKey: key,
      replicaRegions: ['eu-west-1', 'ap-southeast-2'],
      alias: 'alias/app-data',
      description: 'app data',
      policy,
      tags: { team: 'platform', env: 'prod' },
      enabled: false,
      pendingWindow: Duration.days(7),
      bypassPolicyLockoutSafetyCheck: true,
      adoptExisting: true,
    });
    // THEN the resource carries them with the contract's names
    Template.fromStack(primary).hasResourceProperties('Custom::ReplicaKey', {
      ServiceToken: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MrkProviderFunction'), 'Arn'] },
      ServiceTimeout: '360',
      PrimaryKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AppKey'), 'Arn'] },
      ReplicaRegions: ['eu-west-1', 'ap-southeast-2'],
      Alias: 'alias/app-data',
      Description: 'app data',
      KeyPolicy: {
        Version: '2012-10-17',
        Statement: [Match.objectLike({ Action: 'kms:*', Effect: 'Allow', Resource: '*' })],
      },
      Tags: [
        { Key: 'team', Value: 'platform' },
        { Key: 'env', Value: 'prod' },
      ],
      Enabled: 'false',
      PendingWindowInDays: '7',
      BypassPolicyLockoutSafetyCheck: 'true',
      AdoptExisting: 'true',
    });
  });

  it('leaves unset properties out, so that the provider applies its defaults', () => {
    const { primary } = twoRegions();
    new ReplicaKey(primary, 'Replicas', { primaryKey: PRIMARY_KEY_ARN, replicaRegions: ['eu-west-1'] });
    const resources = Template.fromStack(primary).findResources('Custom::ReplicaKey');
    const [properties] = Object.values(resources).map((r) => r.Properties);
    assert.deepEqual(Object.keys(properties).sort(), [
      'PrimaryKeyArn',
      'ReplicaRegions',
      'ServiceTimeout',
      'ServiceToken',
    ]);
    assert.equal(properties.PrimaryKeyArn, PRIMARY_KEY_ARN);
  });

  it('takes an imported key and passes its ARN', () => {
    const { primary } = twoRegions();
    const key = kms.Key.fromKeyArn(primary, 'Imported', PRIMARY_KEY_ARN);
    new ReplicaKey(primary, 'Replicas', { primaryKey: key, replicaRegions: ['eu-west-1'] });
    Template.fromStack(primary).hasResourceProperties('Custom::ReplicaKey', { PrimaryKeyArn: PRIMARY_KEY_ARN });
  });

  it("tags a kms.Key of the app mrk-provider:replicable = true, its owner's consent to replication", () => {
    // GIVEN a multi-Region key of the app, with tags of its own
    const { primary } = twoRegions();
    const key = new kms.Key(primary, 'AppKey', { multiRegion: true });
    Tags.of(key).add('team', 'platform');
    // WHEN it is given to a ReplicaKey
    new ReplicaKey(primary, 'Replicas', { primaryKey: key, replicaRegions: ['eu-west-1'] });
    // THEN the synthesized AWS::KMS::Key carries the consent tag beside its own
    const keys = Template.fromStack(primary).findResources('AWS::KMS::Key');
    const [properties] = Object.values(keys).map((r) => r.Properties);
    assert.deepEqual(properties.Tags, [
      { Key: ReplicaKey.REPLICABLE_TAG, Value: 'true' },
      { Key: 'team', Value: 'platform' },
    ]);
    assert.equal(ReplicaKey.REPLICABLE_TAG, 'mrk-provider:replicable');
  });

  it("tags neither an imported key nor a key given by its ARN, nor any other key: their owner's consent is theirs", () => {
    // GIVEN an imported key, a key of the app passed as an ARN string, and a key no ReplicaKey uses
    const { primary } = twoRegions();
    const imported = kms.Key.fromKeyArn(primary, 'Imported', PRIMARY_KEY_ARN);
    const byArn = new kms.Key(primary, 'ByArn', { multiRegion: true });
    new kms.Key(primary, 'Unrelated', { multiRegion: true });
    // WHEN they are replicated
    new ReplicaKey(primary, 'FromImported', { primaryKey: imported, replicaRegions: ['eu-west-1'] });
    new ReplicaKey(primary, 'FromArn', { primaryKey: byArn.keyArn, replicaRegions: ['eu-west-1'] });
    // THEN no AWS::KMS::Key of the stack carries the consent tag
    const keys = Template.fromStack(primary).findResources('AWS::KMS::Key');
    assert.equal(Object.keys(keys).length, 2);
    for (const [logicalId, resource] of Object.entries(keys)) {
      const tags: { Key: string }[] = resource.Properties.Tags ?? [];
      assert.ok(!tags.some((tag) => tag.Key === ReplicaKey.REPLICABLE_TAG), `${logicalId} is tagged`);
    }
  });

  it('exposes the attributes of the contract', () => {
    const { primary } = twoRegions();
    const replicas = new ReplicaKey(primary, 'Replicas', {
      primaryKey: PRIMARY_KEY_ARN,
      replicaRegions: ['eu-west-1', 'ap-southeast-2'],
    });
    const logicalId = primary.getLogicalId(replicas.resource.node.defaultChild as kms.CfnKey);
    const resolve = (value: string) => primary.resolve(value);
    assert.deepEqual(resolve(replicas.keyId), { 'Fn::GetAtt': [logicalId, 'KeyId'] });
    assert.deepEqual(resolve(replicas.primaryKeyArn), { 'Fn::GetAtt': [logicalId, 'PrimaryKeyArn'] });
    assert.deepEqual(resolve(replicas.replicaKeyArns), { 'Fn::GetAtt': [logicalId, 'ReplicaKeyArns'] });
    assert.deepEqual(resolve(replicas.replicaArn('ap-southeast-2')), {
      'Fn::GetAtt': [logicalId, 'Arn.ap-southeast-2'],
    });
  });

  it('refuses replicaArn of a region it does not replicate into', () => {
    const { primary } = twoRegions();
    const replicas = new ReplicaKey(primary, 'Replicas', {
      primaryKey: PRIMARY_KEY_ARN,
      replicaRegions: ['eu-west-1'],
    });
    throwsWith(
      () => replicas.replicaArn('eu-west-2'),
      /replicaArn\('eu-west-2'\): 'eu-west-2' is not one of replicaRegions \(eu-west-1\)/,
    );
  });

  it('keeps and deletes the replicas according to removalPolicy', () => {
    const { primary } = twoRegions();
    new ReplicaKey(primary, 'Replicas', {
      primaryKey: PRIMARY_KEY_ARN,
      replicaRegions: ['eu-west-1'],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Template.fromStack(primary).hasResource('Custom::ReplicaKey', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('uses the given service token and service timeout', () => {
    const { primary } = twoRegions();
    new ReplicaKey(primary, 'Replicas', {
      primaryKey: PRIMARY_KEY_ARN,
      replicaRegions: ['eu-west-1'],
      serviceToken: ServiceToken.fromExport('mrk-provider-ServiceToken'),
      serviceTimeout: Duration.minutes(10),
    });
    Template.fromStack(primary).hasResourceProperties('Custom::ReplicaKey', {
      ServiceToken: { 'Fn::ImportValue': 'mrk-provider-ServiceToken' },
      ServiceTimeout: '600',
    });
  });

  it('skips the checks of values that are tokens', () => {
    const { primary } = twoRegions();
    const regions = new CfnParameter(primary, 'Regions', { type: 'CommaDelimitedList' });
    const days = new CfnParameter(primary, 'Days', { type: 'Number' });
    // (regions known only at deployment: the stack's function cannot list them by itself)
    new MrkProviderFunction(primary, 'MrkProvider', { allowedRegions: ['us-east-1', 'eu-west-1', 'ap-southeast-2'] });
    new ReplicaKey(primary, 'Replicas', {
      primaryKey: new CfnParameter(primary, 'KeyArn').valueAsString,
      replicaRegions: regions.valueAsList,
      pendingWindow: Duration.days(days.valueAsNumber),
    });
    Template.fromStack(primary).hasResourceProperties('Custom::ReplicaKey', {
      PrimaryKeyArn: { Ref: 'KeyArn' },
      ReplicaRegions: { Ref: 'Regions' },
      PendingWindowInDays: { Ref: 'Days' },
    });
  });

  describe('grants', () => {
    it('grantEncryptDecrypt allows the KMS actions on every replica ARN', () => {
      const { primary } = twoRegions();
      const replicas = new ReplicaKey(primary, 'Replicas', {
        primaryKey: PRIMARY_KEY_ARN,
        replicaRegions: ['eu-west-1', 'ap-southeast-2'],
      });
      const role = new iam.Role(primary, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      replicas.grantEncryptDecrypt(role);
      const logicalId = primary.getLogicalId(replicas.resource.node.defaultChild as kms.CfnKey);
      Template.fromStack(primary).hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: [
            {
              Action: ['kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Decrypt'],
              Effect: 'Allow',
              Resource: [
                { 'Fn::GetAtt': [logicalId, 'Arn.eu-west-1'] },
                { 'Fn::GetAtt': [logicalId, 'Arn.ap-southeast-2'] },
              ],
            },
          ],
        },
      });
    });

    it('grantDecrypt and grantEncrypt grant only their actions', () => {
      const { primary } = twoRegions();
      const replicas = new ReplicaKey(primary, 'Replicas', {
        primaryKey: PRIMARY_KEY_ARN,
        replicaRegions: ['eu-west-1'],
      });
      const reader = new iam.Role(primary, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      const writer = new iam.Role(primary, 'Writer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      replicas.grantDecrypt(reader);
      replicas.grantEncrypt(writer);
      const template = Template.fromStack(primary);
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: Match.stringLikeRegexp('^Reader') }],
        PolicyDocument: { Statement: [Match.objectLike({ Action: 'kms:Decrypt' })] },
      });
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: Match.stringLikeRegexp('^Writer') }],
        PolicyDocument: {
          Statement: [Match.objectLike({ Action: ['kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'] })],
        },
      });
    });
  });

  describe('replicaKey(scope, region)', () => {
    it('pushes the replica ARN into the region and imports it there natively, after the primary stack', () => {
      // GIVEN replicas made in us-east-1
      const { app, primary, consumer } = twoRegions();
      const key = new kms.Key(primary, 'AppKey', { multiRegion: true });
      const replicas = new ReplicaKey(primary, 'Replicas', { primaryKey: key, replicaRegions: ['eu-west-1'] });
      // WHEN a stack in eu-west-1 uses the replica
      const replica = replicas.replicaKey(consumer, 'eu-west-1');
      new sqs.Queue(consumer, 'Queue', { encryptionMasterKey: replica });
      // THEN the primary stack writes the replica's ARN into eu-west-1
      const replicasId = primary.getLogicalId(replicas.resource.node.defaultChild as kms.CfnKey);
      const pushes = Object.values(Template.fromStack(primary).findResources('Custom::CrossRegionParameter'));
      assert.equal(pushes.length, 1);
      assert.deepEqual(pushes[0].Properties.Regions, ['eu-west-1']);
      const [[name, value]] = Object.entries(pushes[0].Properties.Parameters);
      assert.match(name, /^\/cross-region\/mrk-provider\/PrimaryReplicas[0-9A-F]{8}\/replica-arn$/);
      assert.deepEqual(value, { 'Fn::GetAtt': [replicasId, 'Arn.eu-west-1'] });
      // AND the consumer reads it from SSM in its own region, with no cross-region reference
      const consumerTemplate = Template.fromStack(consumer);
      const parameters = consumerTemplate.findParameters('*', {
        Type: 'AWS::SSM::Parameter::Value<String>',
        Default: name,
      });
      assert.equal(Object.keys(parameters).length, 1);
      consumerTemplate.hasResourceProperties('AWS::SQS::Queue', {
        KmsMasterKeyId: { Ref: Object.keys(parameters)[0] },
      });
      assert.deepEqual(consumerTemplate.findResources('Custom::CrossRegionExportReader'), {});
      // AND is deployed after the primary stack
      assert.ok(consumer.dependencies.includes(primary));
      assert.ok(
        app
          .synth()
          .getStackByName('Consumer')
          .dependencies.some((d) => d.id === 'Primary'),
      );
    });

    it('returns the same key when asked twice in one scope', () => {
      const { primary, consumer } = twoRegions();
      const replicas = new ReplicaKey(primary, 'Replicas', {
        primaryKey: PRIMARY_KEY_ARN,
        replicaRegions: ['eu-west-1'],
      });
      assert.equal(replicas.replicaKey(consumer, 'eu-west-1'), replicas.replicaKey(consumer, 'eu-west-1'));
      assert.equal(Object.keys(Template.fromStack(primary).findResources('Custom::CrossRegionParameter')).length, 1);
    });

    it('writes the ARN to the parameterName given', () => {
      const { primary, consumer } = twoRegions();
      const replicas = new ReplicaKey(primary, 'Replicas', {
        primaryKey: PRIMARY_KEY_ARN,
        replicaRegions: ['eu-west-1'],
      });
      replicas.replicaKey(consumer, 'eu-west-1', { parameterName: '/cross-region/app/key-arn' });
      Template.fromStack(primary).hasResourceProperties('Custom::CrossRegionParameter', {
        Parameters: { '/cross-region/app/key-arn': Match.anyValue() },
      });
      Template.fromStack(consumer).hasParameter('*', { Default: '/cross-region/app/key-arn' });
    });

    it("writes the ARN under the parameterPrefix of the stack's own function by default", () => {
      const { primary, consumer } = twoRegions();
      new MrkProviderFunction(primary, 'MrkProvider', { parameterPrefix: '/app/' });
      const replicas = new ReplicaKey(primary, 'Replicas', {
        primaryKey: PRIMARY_KEY_ARN,
        replicaRegions: ['eu-west-1'],
      });
      replicas.replicaKey(consumer, 'eu-west-1');
      Template.fromStack(consumer).hasParameter('*', {
        Default: Match.stringLikeRegexp('^/app/mrk-provider/PrimaryReplicas[0-9A-F]+/replica-arn$'),
      });
    });

    it('refuses a stack in another region than the replica', () => {
      const { app, primary } = twoRegions();
      const replicas = new ReplicaKey(primary, 'Replicas', {
        primaryKey: PRIMARY_KEY_ARN,
        replicaRegions: ['eu-west-1', 'ap-southeast-2'],
      });
      const sydney = new Stack(app, 'Sydney', { env: { region: 'ap-southeast-2' } });
      throwsWith(
        () => replicas.replicaKey(sydney, 'eu-west-1'),
        /replicaKey\('eu-west-1'\) is for a stack in eu-west-1, but Sydney is in ap-southeast-2/,
      );
    });

    it('refuses a region that is not replicated into', () => {
      const { primary, consumer } = twoRegions();
      const replicas = new ReplicaKey(primary, 'Replicas', {
        primaryKey: PRIMARY_KEY_ARN,
        replicaRegions: ['ap-southeast-2'],
      });
      throwsWith(() => replicas.replicaKey(consumer, 'eu-west-1'), /'eu-west-1' is not one of replicaRegions/);
    });

    it('refuses a parameterName that SSM would refuse', () => {
      const { primary, consumer } = twoRegions();
      const replicas = new ReplicaKey(primary, 'Replicas', {
        primaryKey: PRIMARY_KEY_ARN,
        replicaRegions: ['eu-west-1'],
      });
      throwsWith(
        () => replicas.replicaKey(consumer, 'eu-west-1', { parameterName: 'key-arn' }),
        /replicaKey parameterName: 'key-arn' must start with '\/'/,
      );
    });
  });

  describe('validation', () => {
    const props = { primaryKey: PRIMARY_KEY_ARN, replicaRegions: ['eu-west-1'] };
    const make = (overrides: object) => {
      const { primary } = twoRegions();
      return () => new ReplicaKey(primary, 'Replicas', { ...props, ...overrides });
    };

    it('names the construct in the message', () => {
      throwsWith(
        make({ replicaRegions: [] }),
        /^\[Primary\/Replicas\] replicaRegions is empty; name at least one region$/,
      );
    });

    it('refuses a region that is not a region name', () => {
      throwsWith(make({ replicaRegions: ['eu-west-1', 'Europe'] }), /replicaRegions: 'Europe' is not a region name/);
      throwsWith(make({ replicaRegions: ['euwest1'] }), /'euwest1' is not a region name/);
    });

    it('refuses a region listed twice', () => {
      throwsWith(make({ replicaRegions: ['eu-west-1', 'eu-west-1'] }), /'eu-west-1' is listed twice/);
    });

    it('refuses regions of two partitions', () => {
      throwsWith(
        make({ replicaRegions: ['eu-west-1', 'cn-north-1'] }),
        /'cn-north-1' is in partition aws-cn but 'eu-west-1' is in aws/,
      );
    });

    it('refuses replica regions in another partition than the primary', () => {
      throwsWith(
        make({ replicaRegions: ['cn-north-1'] }),
        /replicaRegions are in partition aws-cn, but the primary key is in aws/,
      );
    });

    it("refuses the primary key ARN's own region", () => {
      throwsWith(make({ replicaRegions: ['eu-west-1', 'us-east-1'] }), /'us-east-1' is the primary key's own region/);
    });

    it("refuses the region of the primary key's stack", () => {
      const { primary } = twoRegions();
      const key = new kms.Key(primary, 'AppKey', { multiRegion: true });
      throwsWith(
        () => new ReplicaKey(primary, 'Replicas', { primaryKey: key, replicaRegions: ['us-east-1'] }),
        /'us-east-1' is the primary key's own region/,
      );
    });

    it('refuses a pending window outside 7 to 30 days', () => {
      throwsWith(make({ pendingWindow: Duration.days(6) }), /pendingWindow must be 7 to 30 days, got 6/);
      throwsWith(make({ pendingWindow: Duration.days(31) }), /pendingWindow must be 7 to 30 days, got 31/);
      throwsWith(
        make({ pendingWindow: Duration.hours(200) }),
        /pendingWindow must be a whole number of days \(7 to 30\), got 8 days 8 hours/,
      );
    });

    it('accepts the ends of the pending window', () => {
      make({ pendingWindow: Duration.days(7) })();
      make({ pendingWindow: Duration.days(30) })();
    });

    it('refuses a malformed alias', () => {
      for (const alias of ['app-data', 'alias/', 'alias/aws/app', 'alias/app data']) {
        throwsWith(make({ alias }), new RegExp(`alias '${alias}' is not a valid alias`));
      }
    });

    it('refuses a key ARN that is not a multi-Region key', () => {
      throwsWith(
        make({ primaryKey: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' }),
        /is not a multi-Region key: multi-Region key ids start with mrk-/,
      );
    });

    it('refuses an ARN that is not a KMS key ARN', () => {
      throwsWith(make({ primaryKey: 'arn:aws:kms:us-east-1:123456789012:alias/app' }), /is not a KMS key ARN/);
      throwsWith(make({ primaryKey: 'mrk-1234abcd12ab34cd56ef1234567890ab' }), /is not a KMS key ARN/);
    });

    it('refuses an alias as the primary key', () => {
      const { primary } = twoRegions();
      const key = new kms.Key(primary, 'AppKey', { multiRegion: true });
      const alias = key.addAlias('alias/app');
      throwsWith(
        () => new ReplicaKey(primary, 'Replicas', { primaryKey: alias, replicaRegions: ['eu-west-1'] }),
        /primaryKey Primary\/AppKey\/Alias is an alias; pass the key itself or its ARN/,
      );
    });

    it('refuses a kms.Key of the app that is not multi-Region, when the app is synthesized', () => {
      const { primary } = twoRegions();
      const key = new kms.Key(primary, 'AppKey');
      new ReplicaKey(primary, 'Replicas', { primaryKey: key, replicaRegions: ['eu-west-1'] });
      throwsWith(
        () => Template.fromStack(primary),
        /\[Primary\/Replicas\] primaryKey Primary\/AppKey is not a multi-Region key; create it with multiRegion: true/,
      );
    });

    it('refuses a single-Region key of another stack in the app', () => {
      const { app, primary } = twoRegions();
      const keys = new Stack(app, 'Keys', { env: { account: '123456789012', region: 'us-east-1' } });
      const key = new kms.Key(keys, 'AppKey', { multiRegion: false });
      new ReplicaKey(primary, 'Replicas', { primaryKey: key, replicaRegions: ['eu-west-1'] });
      throwsWith(() => app.synth(), /primaryKey Keys\/AppKey is not a multi-Region key/);
    });

    it('accepts a key made multi-Region through the escape hatch after the construct', () => {
      const { primary } = twoRegions();
      const key = new kms.Key(primary, 'AppKey');
      new ReplicaKey(primary, 'Replicas', { primaryKey: key, replicaRegions: ['eu-west-1'] });
      (key.node.defaultChild as kms.CfnKey).multiRegion = true;
      Template.fromStack(primary).resourceCountIs('Custom::ReplicaKey', 1);
    });

    it('refuses a key policy that is not a valid resource policy, when the app is synthesized', () => {
      const { primary } = twoRegions();
      const policy = new iam.PolicyDocument({
        statements: [new iam.PolicyStatement({ actions: ['kms:*'], resources: ['*'] })],
      });
      new ReplicaKey(primary, 'Replicas', { primaryKey: PRIMARY_KEY_ARN, replicaRegions: ['eu-west-1'], policy });
      throwsWith(
        () => Template.fromStack(primary),
        /A PolicyStatement used in a resource-based policy must specify at least one IAM principal/,
      );
    });
  });
});
