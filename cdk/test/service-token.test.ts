import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CrossRegionParameterReader, ServiceToken } from 'mrk-provider-cdk';
import { throwsWith, twoRegions } from './helpers';

const FUNCTION_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:mrk-provider-MrkProviderFunction-abc';

function readerIn(stack: Stack, serviceToken?: ServiceToken): CrossRegionParameterReader {
  return new CrossRegionParameterReader(stack, 'Reader', {
    region: 'us-east-1',
    names: ['/cross-region/a'],
    serviceToken,
  });
}

function serviceTokenOf(stack: Stack): unknown {
  const [resource] = Object.values(Template.fromStack(stack).findResources('Custom::CrossRegionParameterReader'));
  return resource.Properties.ServiceToken;
}

describe('ServiceToken', () => {
  it("by default is the stack's own function, and reads no SSM parameter", () => {
    const { consumer } = twoRegions();
    readerIn(consumer);
    const template = Template.fromStack(consumer);
    const [functionId] = Object.keys(template.findResources('AWS::Lambda::Function'));
    assert.deepEqual(serviceTokenOf(consumer), { 'Fn::GetAtt': [functionId, 'Arn'] });
    assert.deepEqual(template.findParameters('*', { Default: ServiceToken.DEFAULT_PARAMETER_NAME }), {});
  });

  it("fromParameter reads the SSM parameter that template.yaml writes, in the stack's own region", () => {
    const { consumer } = twoRegions();
    readerIn(consumer, ServiceToken.fromParameter());
    const template = Template.fromStack(consumer);
    const parameters = template.findParameters('*', {
      Type: 'AWS::SSM::Parameter::Value<String>',
      Default: '/mrk-provider/service-token',
    });
    assert.deepEqual(serviceTokenOf(consumer), { Ref: Object.keys(parameters)[0] });
    template.resourceCountIs('AWS::Lambda::Function', 0);
  });

  it('fromParameter reads another parameter name', () => {
    const { consumer } = twoRegions();
    readerIn(consumer, ServiceToken.fromParameter('/platform/mrk-provider'));
    Template.fromStack(consumer).hasParameter('*', {
      Type: 'AWS::SSM::Parameter::Value<String>',
      Default: '/platform/mrk-provider',
    });
  });

  it('binds one ServiceToken to each stack that uses it', () => {
    const { primary, consumer } = twoRegions();
    const token = ServiceToken.fromParameter();
    readerIn(primary, token);
    readerIn(consumer, token);
    for (const stack of [primary, consumer]) {
      Template.fromStack(stack).hasParameter('*', { Default: '/mrk-provider/service-token' });
    }
  });

  it("fromExport imports the export of the provider's stack", () => {
    const { consumer } = twoRegions();
    readerIn(consumer, ServiceToken.fromExport('mrk-provider-ServiceToken'));
    assert.deepEqual(serviceTokenOf(consumer), { 'Fn::ImportValue': 'mrk-provider-ServiceToken' });
    Template.fromStack(consumer).resourceCountIs('AWS::Lambda::Function', 0);
  });

  it('fromArn passes the function ARN', () => {
    const { consumer } = twoRegions();
    readerIn(consumer, ServiceToken.fromArn(FUNCTION_ARN));
    assert.equal(serviceTokenOf(consumer), FUNCTION_ARN);
    Template.fromStack(consumer).resourceCountIs('AWS::Lambda::Function', 0);
  });

  it('fromArn refuses a function of another region than the stack', () => {
    const { primary } = twoRegions();
    throwsWith(
      () => readerIn(primary, ServiceToken.fromArn(FUNCTION_ARN)),
      /serviceToken is a function in eu-west-1, but the stack is in us-east-1; CloudFormation invokes only functions of the stack's region/,
    );
  });

  it('fromArn refuses text that is not a function ARN', () => {
    const { consumer } = twoRegions();
    throwsWith(
      () => readerIn(consumer, ServiceToken.fromArn('mrk-provider')),
      /serviceToken 'mrk-provider' is not a Lambda function ARN/,
    );
  });

  it('defaults to the names that template.yaml publishes', () => {
    // The package's defaults are documented against the provider's own template: keep them in step.
    const template = readFileSync(path.join(__dirname, '..', '..', '..', 'template.yaml'), 'utf8');
    const parameterDefault = /\n  ServiceTokenParameterName:\n(?: {4}.*\n)*? {4}Default: (\S+)\n/.exec(template)?.[1];
    assert.equal(parameterDefault, ServiceToken.DEFAULT_PARAMETER_NAME);
    assert.match(
      template,
      /\n {6}Name: !Ref ServiceTokenParameterName\n {6}Type: String\n {6}Value: !GetAtt MrkProviderFunction\.Arn\n/,
    );
    assert.match(template, /\n {4}Export:\n {6}Name: !Sub \$\{AWS::StackName\}-ServiceToken\n/);
  });
});
