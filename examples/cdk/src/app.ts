import { App } from 'aws-cdk-lib';
import { AppStack } from './app-stack';
import { KeyStack } from './key-stack';

// Explicit regions and no context lookups: `cdk synth` needs no AWS credentials. The account is the one
// the CDK CLI finds in your credentials (CDK_DEFAULT_ACCOUNT).
const account = process.env.CDK_DEFAULT_ACCOUNT;

// The CDK's own template validation (run at synthesis) fails the synth on an error instead of warning.
const app = new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
const keys = new KeyStack(app, 'MrkExampleKeys', { env: { account, region: 'us-east-1' } });
new AppStack(app, 'MrkExampleApp', {
  env: { account, region: 'eu-west-1' },
  keyArnParameter: keys.keyArnInEuWest1,
});
app.synth();
