/**
 * The `role` and `externalId` props of the constructs that write or read SSM parameters of another account
 * (`RoleArn` and `ExternalId`, docs/reference.md sections 4 and 5): the provider assumes the role, so the parameters are
 * those of the role's account. Checked at synth time where the values are known.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { MrkProviderValidationError, isLiteral } from './validate';

/** The props, as the two constructs declare them. */
export interface AssumeRoleProps {
  readonly role?: iam.IRole | string;
  readonly externalId?: string;
}

/** What the constructs need of the props. */
export interface AssumedRole {
  /** `RoleArn` and `ExternalId` of the resource (each `undefined` when unset). */
  readonly properties: { RoleArn?: string; ExternalId?: string };
  /** The role's account, when known at synth time. */
  readonly account?: string;
  /** The role's partition, when known at synth time. */
  readonly partition?: string;
}

/** An IAM role ARN: partition, 12-digit account, an optional path, a name of 1 to 64 characters. */
const ROLE_ARN = /^arn:(aws[a-z-]*):iam::([0-9]{12}):role\/(?:[\x21-\x7e]+\/)?[\w+=,.@-]{1,64}$/;

/** What STS accepts as an external id. */
const EXTERNAL_ID_LENGTH = { min: 2, max: 1224 };
const EXTERNAL_ID_CHARACTER = /[\w+=,.@:/-]/;

/** Checks `role` and `externalId`; `undefined` when no role is set. */
export function assumedRole(scope: IConstruct, props: AssumeRoleProps): AssumedRole | undefined {
  const { role, externalId } = props;
  if (role === undefined) {
    if (externalId !== undefined) {
      throw new MrkProviderValidationError(
        scope,
        'externalId is passed to AssumeRole with role, and no role is set; set role too, or remove externalId',
      );
    }
    return undefined;
  }
  const roleArn = typeof role === 'string' ? role : role.roleArn;
  let account = typeof role === 'string' ? undefined : role.env.account;
  let partition: string | undefined;
  if (isLiteral(roleArn)) {
    const parts = ROLE_ARN.exec(roleArn);
    if (parts === null) {
      throw new MrkProviderValidationError(
        scope,
        `role '${roleArn}' is not an IAM role ARN (arn:<partition>:iam::<account>:role/<name>); ` +
          "the provider assumes it with STS, so name a role of the account whose parameters you mean",
      );
    }
    [, partition, account] = parts;
  }
  if (externalId !== undefined && isLiteral(externalId)) {
    const length = [...externalId].length;
    if (length < EXTERNAL_ID_LENGTH.min || length > EXTERNAL_ID_LENGTH.max) {
      throw new MrkProviderValidationError(
        scope,
        `externalId is ${length} character${length === 1 ? '' : 's'} long; STS accepts ` +
          `${EXTERNAL_ID_LENGTH.min} to ${EXTERNAL_ID_LENGTH.max}`,
      );
    }
    const bad = [...externalId].find((c) => !EXTERNAL_ID_CHARACTER.test(c));
    if (bad !== undefined) {
      throw new MrkProviderValidationError(
        scope,
        `externalId contains '${bad}'; STS accepts only letters a-z and A-Z, digits and _ + = , . @ : / -`,
      );
    }
  }
  return {
    properties: { RoleArn: roleArn, ExternalId: externalId },
    account: account !== undefined && isLiteral(account) ? account : undefined,
    partition,
  };
}

/**
 * Refuses a role of another partition than `property`'s regions (`partition`, when known): STS cannot
 * reach across partitions.
 */
export function checkRolePartition(
  scope: IConstruct,
  assumed: AssumedRole | undefined,
  property: string,
  partition: string | undefined,
): void {
  if (assumed?.partition !== undefined && partition !== undefined && assumed.partition !== partition) {
    throw new MrkProviderValidationError(
      scope,
      `role is in partition ${assumed.partition} and ${property} in ${partition}; STS reaches only roles of ` +
        `the provider's own partition, so name a role of ${partition}`,
    );
  }
}
