import { CustomResource, Duration, Fn, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { bundledServiceToken } from './provider';
import { MrkProviderValidationError } from './validate';

/**
 * Where a stack finds an mrk-provider function deployed on its own, with template.yaml (SAM), for the
 * constructs given a `serviceToken`; without one they use the stack's own {@link MrkProviderFunction}.
 *
 * CloudFormation only invokes a custom resource's function in the stack's own region, so the provider
 * is deployed once per region that holds such resources, and each stack reads the token of its own
 * region. The token is therefore bound to the stack of each resource when the resource is created,
 * not when the `ServiceToken` is made: one `ServiceToken` can serve stacks in several regions.
 */
export abstract class ServiceToken {
  /** The SSM parameter that template.yaml writes its ServiceToken to (its `ServiceTokenParameterName` default). */
  public static readonly DEFAULT_PARAMETER_NAME = '/mrk-provider/service-token';

  /**
   * The default `serviceTimeout` (360 seconds, a little above template.yaml's 300-second function
   * timeout); the same as the TypeScript constant `DEFAULT_SERVICE_TIMEOUT`.
   */
  public static readonly DEFAULT_SERVICE_TIMEOUT: Duration = Duration.seconds(360);

  /**
   * Reads the ServiceToken, at deployment, from an SSM parameter in the stack's region: the
   * `AWS::SSM::Parameter` that template.yaml creates (`ServiceTokenParameterName`, default
   * `/mrk-provider/service-token`). The stack gets an `AWS::SSM::Parameter::Value<String>` parameter.
   */
  public static fromParameter(parameterName: string = ServiceToken.DEFAULT_PARAMETER_NAME): ServiceToken {
    return new (class extends ServiceToken {
      public bind(scope: Construct): string {
        return ssm.StringParameter.valueForStringParameter(scope, parameterName);
      }
    })();
  }

  /**
   * Imports the ServiceToken from the CloudFormation export of the provider's stack: template.yaml
   * exports it as `<provider stack name>-ServiceToken` (so `mrk-provider-ServiceToken` for a stack named
   * `mrk-provider`). An export pins the provider stack: it cannot be deleted while a stack imports it.
   */
  public static fromExport(exportName: string): ServiceToken {
    return new (class extends ServiceToken {
      public bind(): string {
        return Fn.importValue(exportName);
      }
    })();
  }

  /** Uses the function's ARN as given (the `ServiceToken` output of the provider's stack). */
  public static fromArn(functionArn: string): ServiceToken {
    return new (class extends ServiceToken {
      public bind(scope: Construct): string {
        if (!Token.isUnresolved(functionArn)) {
          const region = /^arn:[a-z-]+:lambda:([a-z0-9-]+):[0-9]{12}:function:[a-zA-Z0-9_-]+(:[a-zA-Z0-9$_-]+)?$/.exec(
            functionArn,
          )?.[1];
          if (region === undefined) {
            throw new MrkProviderValidationError(
              scope,
              `serviceToken '${functionArn}' is not a Lambda function ARN (arn:<partition>:lambda:<region>:<account>:function:<name>)`,
            );
          }
          const stackRegion = Stack.of(scope).region;
          if (!Token.isUnresolved(stackRegion) && stackRegion !== region) {
            throw new MrkProviderValidationError(
              scope,
              `serviceToken is a function in ${region}, but the stack is in ${stackRegion}; CloudFormation ` +
                "invokes only functions of the stack's region: deploy mrk-provider there too",
            );
          }
        }
        return functionArn;
      }
    })();
  }

  /** The ServiceToken value for a resource in `scope`'s stack. */
  public abstract bind(scope: Construct): string;
}

/** How every mrk-provider construct reaches the function. */
export interface MrkProviderProps {
  /**
   * An mrk-provider function deployed on its own (template.yaml), shared by the stacks of its account and
   * region: `ServiceToken.fromParameter()`, `fromExport(...)` or `fromArn(...)`.
   * @default the stack's own MrkProviderFunction, created with template.yaml's defaults when the stack has none
   */
  readonly serviceToken?: ServiceToken;

  /**
   * How long CloudFormation waits for the function's answer (`ServiceTimeout`). The function answers
   * 10 s before its own 300 s timeout whatever happens, so a lost answer fails the stack within minutes
   * instead of CloudFormation's default hour.
   * @default Duration.seconds(360)
   */
  readonly serviceTimeout?: Duration;
}

/** The default `ServiceTimeout`: a little above template.yaml's 300-second function timeout. */
export const DEFAULT_SERVICE_TIMEOUT = ServiceToken.DEFAULT_SERVICE_TIMEOUT;

/** The `CustomResource` behind each construct, with the service token bound to its stack. */
export function providerResource(
  scope: Construct,
  resourceType: string,
  props: MrkProviderProps & { readonly removalPolicy?: RemovalPolicy },
  properties: { [name: string]: unknown },
): CustomResource {
  return new CustomResource(scope, 'Resource', {
    resourceType,
    serviceToken: props.serviceToken ? props.serviceToken.bind(scope) : bundledServiceToken(scope, properties),
    serviceTimeout: props.serviceTimeout ?? DEFAULT_SERVICE_TIMEOUT,
    removalPolicy: props.removalPolicy,
    properties,
  });
}
