// A CDK app as a user writes it, with nothing deployed beforehand: mrk-provider-cdk from its tarball, no
// serviceToken (each stack with a custom resource deploys its own provider) except in Shared, which uses a
// provider deployed with template.yaml. Explicit environments and no lookups: it synthesizes offline.
const { App, CfnOutput, Stack } = require('aws-cdk-lib');
const kms = require('aws-cdk-lib/aws-kms');
const { CrossRegionParameter, CrossRegionParameterReader, ReplicaKey, ServiceToken } = require('mrk-provider-cdk');

const account = '123456789012';
const app = new App();

const keys = new Stack(app, 'Keys', { env: { account, region: 'us-east-1' } });
const key = new kms.Key(keys, 'AppKey', { multiRegion: true });
const replicas = new ReplicaKey(keys, 'AppKeyReplicas', { primaryKey: key, replicaRegions: ['eu-west-1'] });

const consumer = new Stack(app, 'Consumer', { env: { account, region: 'eu-west-1' } });
new CfnOutput(consumer, 'ReplicaKeyArn', { value: replicas.replicaKeyIn(consumer, 'eu-west-1').keyArn });
new CrossRegionParameterReader(consumer, 'Reader', { region: 'us-east-1', names: ['/cross-region/app/name'] });

const shared = new Stack(app, 'Shared', { env: { account, region: 'us-east-1' } });
new CrossRegionParameter(shared, 'Pushed', {
  regions: ['eu-west-1'],
  parameters: { '/cross-region/app/name': 'value' },
  serviceToken: ServiceToken.fromParameter(),
});

app.synth();
