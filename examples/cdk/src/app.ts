import { App } from 'aws-cdk-lib';
import { AppStack } from './app-stack';
import { KeyStack } from './key-stack';

// Explicit environments and no context lookups: `cdk synth` needs no AWS credentials. Set your account.
const account = '123456789012';

// The CDK's own template validation (run at synthesis) fails the synth on an error instead of warning.
const app = new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
const keys = new KeyStack(app, 'MrkExampleKeys', { env: { account, region: 'us-east-1' } });
new AppStack(app, 'MrkExampleApp', {
  env: { account, region: 'eu-west-1' },
  keyArnParameter: keys.keyArnInEuWest1,
});
app.synth();
