import * as assert from 'node:assert/strict';
import { App, AppProps, Stack } from 'aws-cdk-lib';
import { MrkProviderFunction } from 'mrk-provider-cdk';

export const ACCOUNT = '123456789012';
export const PRIMARY_KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab';

/**
 * An app without the CDK's built-in template validation (it costs seconds per process; templates.test.ts
 * runs it, strictly, on every construct). aws-cdk-lib added the option after the oldest version these
 * tests run on, which ignores it.
 */
export function testApp(props: AppProps = {}): App {
  return new App({ ...props, ...({ builtinCloudFormationValidation: false } as AppProps) });
}

/**
 * An app with a stack in us-east-1 (the primary's) and one in eu-west-1 (a consumer's). The CDK's
 * built-in template validation is off here: it costs seconds per process, and templates.test.ts runs it,
 * strictly, on every construct.
 */
export function twoRegions(options: { roles?: boolean; app?: App } = {}): {
  app: App;
  primary: Stack;
  consumer: Stack;
} {
  const app = options.app ?? testApp();
  const primary = new Stack(app, 'Primary', { env: { account: ACCOUNT, region: 'us-east-1' } });
  const consumer = new Stack(app, 'Consumer', { env: { account: ACCOUNT, region: 'eu-west-1' } });
  if (options.roles) {
    // With `roles`, each stack's provider may assume any role, as a resource's RoleArn needs (checked at
    // synth time).
    for (const stack of [primary, consumer]) {
      new MrkProviderFunction(stack, 'MrkProvider', {
        assumableRoleArns: ['arn:*:iam::*:role/*'],
        allowedRegions: ['us-east-1', 'eu-west-1', 'eu-central-1', 'ap-southeast-2'],
      });
    }
  }
  return { app, primary, consumer };
}

/** Asserts that `fn` throws an error whose message matches `pattern`, and returns the message. */
export function throwsWith(fn: () => unknown, pattern: RegExp): string {
  let message: string | undefined;
  assert.throws(fn, (error: Error) => {
    message = error.message;
    assert.match(error.message, pattern);
    return true;
  });
  return message as string;
}
