import { CfnResource } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** One rule of cdk-nag suppressed on a resource, in the form cdk-nag reads from the `cdk_nag` metadata. */
interface NagSuppression {
  readonly id: string;
  readonly reason: string;
  /** The findings it covers (a string, or `{ regex: '/.../' }`); every finding of the rule when absent. */
  readonly appliesTo?: Array<string | { regex: string }>;
}

/**
 * Adds `suppressions` to the `cdk_nag` metadata of every CloudFormation resource under `scope`, in the form
 * that cdk-nag's `NagSuppressions.addResourceSuppressions` writes and its rule packs read, so that a user's
 * own cdk-nag run sees the findings as suppressed, with the reason. Written directly, so that the package
 * needs no cdk-nag at run time.
 */
export function addNagSuppressions(scope: IConstruct, suppressions: NagSuppression[]): void {
  for (const child of scope.node.findAll()) {
    if (!(child instanceof CfnResource)) {
      continue;
    }
    const metadata = child.getMetadata('cdk_nag') as { rules_to_suppress?: object[] } | undefined;
    const rules = [...(metadata?.rules_to_suppress ?? [])];
    for (const { id, reason, appliesTo } of suppressions) {
      // cdk-nag keeps reasons of Latin-1 text as they are (others it base64-encodes): these are ASCII.
      rules.push(appliesTo === undefined ? { id, reason } : { id, reason, applies_to: appliesTo });
    }
    child.addMetadata('cdk_nag', { ...metadata, rules_to_suppress: rules });
  }
}

/**
 * cdk-nag's AwsSolutions-IAM5 findings on the function's statements (template.yaml's policy, whose comments
 * say the same), each with why its wildcard is the narrowest IAM can express: the keys, aliases, stacks
 * and parameters are named by each request's properties, and conditions narrow every one.
 */
export function providerNagSuppressions(parameterPrefix: string): NagSuppression[] {
  const arn = (service: string, resource: string) =>
    `Resource::arn:<AWS::Partition>:${service}:*:<AWS::AccountId>:${resource}`;
  const wildcard = (appliesTo: string, reason: string): NagSuppression => ({
    id: 'AwsSolutions-IAM5',
    reason,
    appliesTo: [appliesTo],
  });
  return [
    wildcard(
      'Resource::*',
      'kms:CreateKey has no key resource (kms:ReplicateKey needs it in the replica region): the conditions allow ' +
        'it only in the allowed regions and only for a multi-Region replica. Every other statement on * is a Deny ' +
        '(no lockout-check bypass, no decryption outside the DecryptPrefix, only roles of the listed accounts), ' +
        'which grants nothing.',
    ),
    wildcard(
      arn('cloudformation', 'stack/*/*'),
      'Read-only (DescribeStacks, DescribeStackResource) on stacks of this account only: the provider confirms ' +
        'that the stack an event names really asked, and that stack is known only per request.',
    ),
    wildcard(
      arn('kms', 'key/*'),
      'kms:DescribeKey (read-only; it also resolves an alias to whatever key holds it, to report a taken alias), ' +
        'limited to the allowed regions; and kms:Encrypt, GenerateDataKey and Decrypt only through SSM ' +
        '(kms:ViaService) for parameters under the prefix (kms:EncryptionContext:PARAMETER_ARN), with a Deny of ' +
        'any decryption outside the DecryptPrefix. The key is the one a parameter names, known per request.',
    ),
    wildcard(
      arn('kms', 'key/mrk-*'),
      'Multi-Region keys only (their ids start with mrk-), named per request; conditions narrow each action: ' +
        'kms:MultiRegion, kms:MultiRegionKeyType (PRIMARY to replicate, REPLICA to change), the owner consent ' +
        'tag mrk-provider:replicable on a primary, and the allowed regions.',
    ),
    wildcard(
      arn('kms', 'alias/*'),
      'Alias names are resource properties known per request; an alias call is also authorized on the key ' +
        'it names, which the ReplicasOfAliases statement limits to multi-Region replicas, in the allowed regions.',
    ),
    wildcard(
      arn('ssm', `parameter${parameterPrefix}*`),
      `SSM parameters under the deployer's ParameterPrefix (${parameterPrefix}) only, named per request, in the ` +
        'allowed regions; the provider refuses any other name before it calls SSM.',
    ),
  ];
}

