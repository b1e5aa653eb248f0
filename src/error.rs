//! The errors a user can read in the CloudFormation console.
//!
//! Every message is one sentence that says what failed, where, and what to do about it; each sentence
//! is the `#[error("...")]` template of its variant, over the variant's fields, so that this file holds
//! every sentence a request can fail with. Only what is open-ended by nature (a property's validation
//! problem, AWS's own message, the reason a stack could not be read) is data, always inside a template
//! that says what it is.

/// An error that ends a request with `FAILED`; its `Display` text becomes the response's `Reason`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The event is not a CloudFormation custom-resource request: its JSON does not have the shape
    /// of one.
    #[error("invalid request: not a CloudFormation custom-resource request ({detail})")]
    NotARequest {
        /// What the decoder found wrong.
        detail: String,
    },

    /// The event is not valid JSON (invalid UTF-8, a lone surrogate, ...).
    #[error("invalid request: the event is not valid JSON ({detail})")]
    NotJson {
        /// What the JSON parser found wrong.
        detail: String,
    },

    /// `RequestType` is none of the three CloudFormation sends.
    #[error("invalid request: RequestType must be Create, Update or Delete")]
    UnknownRequestType,

    /// A field that must hold properties holds something else.
    #[error("invalid request: {field} must be a JSON object")]
    NotAnObject {
        /// `ResourceProperties` or `OldResourceProperties`.
        field: &'static str,
    },

    /// A `ResourceType` this provider does not serve.
    #[error("invalid request: unsupported ResourceType '{resource_type}'; mrk-provider serves {supported}")]
    UnsupportedResourceType {
        /// The request's resource type.
        resource_type: String,
        /// The types it serves, comma-separated.
        supported: String,
    },

    /// A property that the resource type does not define (usually a typo).
    #[error("unknown property '{property}' for {resource_type}")]
    UnknownProperty {
        /// Path of the property, e.g. `Alias` or `Tags[0].Keyy`.
        property: String,
        /// The resource type, e.g. `Custom::ReplicaKey`.
        resource_type: &'static str,
    },

    /// A required property is absent.
    #[error("missing required property '{property}' for {resource_type}")]
    MissingProperty {
        /// Name of the property.
        property: &'static str,
        /// The resource type.
        resource_type: &'static str,
    },

    /// A property is present but its value is not acceptable.
    #[error("invalid property '{property}' for {resource_type}: {reason}")]
    InvalidProperty {
        /// Path of the property.
        property: String,
        /// The resource type.
        resource_type: &'static str,
        /// What is wrong and what is expected.
        reason: String,
    },

    /// `BypassPolicyLockoutSafetyCheck` asked of a provider that does not allow it.
    #[error(
        "invalid property 'BypassPolicyLockoutSafetyCheck' for {resource_type}: this provider does not allow it \
         (its AllowBypassPolicyLockoutSafetyCheck is false): a policy put without KMS's check can lock every \
         principal out of the key for good; remove it, or ask the provider's deployer to allow it"
    )]
    LockoutBypassNotAllowed {
        /// The resource type.
        resource_type: &'static str,
    },

    /// The function's own configuration (environment variables) is wrong.
    #[error("mrk-provider is misconfigured: {problem}")]
    Configuration {
        /// Which setting is wrong and how to set it.
        problem: ConfigProblem,
    },

    /// An AWS API call failed.
    #[error(
        "{operation} in {region} failed ({code}): {message}{}",
        .fault.hint().map(|hint| format!(". {hint}")).unwrap_or_default()
    )]
    Aws {
        /// The API operation, e.g. `ReplicateKey`.
        operation: &'static str,
        /// The region the call was sent to.
        region: String,
        /// The AWS error code, e.g. `AccessDeniedException`.
        code: String,
        /// The AWS error message, without a final period.
        message: String,
        /// What the code means, and so what the user can do about it.
        fault: Fault,
    },

    /// The request's stack could not be confirmed as its sender (docs/reference.md, section 7).
    #[error("the request was refused and nothing was changed: {refusal}")]
    UnverifiedCaller {
        /// Which check failed.
        refusal: Refusal,
    },

    /// A `RoleArn` that STS would not let the provider assume.
    #[error(
        "the role {role_arn} could not be assumed (AccessDenied: {message}); check that it exists and that its \
         trust policy allows sts:AssumeRole by {provider_role}{} (target-account.yaml creates such a role)",
        if *.with_external_id { ", with the ExternalId this resource gives" } else { "" }
    )]
    RoleNotAssumable {
        /// The role's ARN.
        role_arn: String,
        /// STS's message.
        message: String,
        /// The provider's role ARN, or how to find it.
        provider_role: String,
        /// Whether the resource gives an `ExternalId`, which the trust policy must then require.
        with_external_id: bool,
    },

    /// Something CloudFormation's own stack created, and that stack still exists.
    #[error(
        "{what} was created by the stack {stack} itself (its tag {tag}), which still exists; mrk-provider \
         never adopts, changes or deletes what a live stack created, so choose another one, or remove it \
         from that stack first"
    )]
    OwnedByLiveStack {
        /// What, e.g. "the parameter /app/x in eu-west-1".
        what: String,
        /// The stack's id.
        stack: String,
        /// CloudFormation's tag that names it.
        tag: &'static str,
    },

    /// Something with CloudFormation's stack tag, whose stack could not be read.
    #[error(
        "{what} carries CloudFormation's tag {tag} and {why}, so it counts as that stack's; nothing of it was changed"
    )]
    OwnedByUnreadableStack {
        /// What.
        what: String,
        /// CloudFormation's tag.
        tag: &'static str,
        /// Why the stack could not be read.
        why: String,
    },

    /// `AdoptExisting` refused to take over something another live owner holds.
    #[error(
        "{what} was not adopted: {why}; AdoptExisting takes over only what no live stack owns, so remove it \
         from its owner first, or choose another name"
    )]
    NotAdoptable {
        /// What.
        what: String,
        /// Who holds it, or why its owner could not be read.
        why: String,
    },

    /// A parameter that exists and that this resource does not own, without `AdoptExisting`.
    #[error(
        "the parameter {name} already exists in {region} and this resource does not own it ({owner}); set \
         AdoptExisting to true to take it over, or choose another name"
    )]
    ParameterNotOwned {
        /// The parameter's name.
        name: String,
        /// Its region.
        region: String,
        /// Who owns it, as the owner tags say.
        owner: String,
    },

    /// A replica that exists and that this resource does not own, without `AdoptExisting`.
    #[error(
        "a replica of {key_id} already exists in {region} and this resource does not own it ({owner}); set \
         AdoptExisting to true to take it over, or remove {region} from ReplicaRegions"
    )]
    ReplicaNotOwned {
        /// The multi-Region key id.
        key_id: String,
        /// The replica's region.
        region: String,
        /// Who owns it, as the owner tags say.
        owner: String,
    },

    /// `PrimaryKeyArn` names a key that does not exist.
    #[error("the primary key {arn} does not exist in {region}; check PrimaryKeyArn")]
    PrimaryKeyMissing {
        /// The key's ARN.
        arn: String,
        /// Its region.
        region: String,
    },

    /// `PrimaryKeyArn` names a key that is not a multi-Region primary.
    #[error(
        "{arn} is {}, not a multi-Region primary key; set PrimaryKeyArn to the primary key in its own region",
        if *.is_replica { "a replica key" } else { "not a multi-Region key" }
    )]
    NotAPrimaryKey {
        /// The key's ARN.
        arn: String,
        /// Whether it is a multi-Region replica (else it is a single-Region key).
        is_replica: bool,
    },

    /// `PrimaryKeyArn` names a key pending deletion.
    #[error("the primary key {arn} is pending deletion; cancel its deletion before replicating it")]
    PrimaryKeyPendingDeletion {
        /// The key's ARN.
        arn: String,
    },

    /// The primary key's owner has not consented to replicas (docs/reference.md, section 7).
    #[error(
        "the primary key {arn} does not carry the tag {tag} = true, its owner's consent to replicas made by \
         mrk-provider; ask the key's owner to add that tag, then deploy again"
    )]
    NoReplicationConsent {
        /// The key's ARN.
        arn: String,
        /// The consent tag.
        tag: &'static str,
    },

    /// The alias exists and points at another key.
    #[error(
        "the alias {alias} already exists in {region} and points at key {target}; choose another Alias, or set \
         AdoptExisting to true to point it at the replica"
    )]
    AliasTaken {
        /// The alias.
        alias: String,
        /// Its region.
        region: String,
        /// The key it points at.
        target: String,
    },

    /// An alias to adopt points at a key that is not a multi-Region replica.
    #[error(
        "the alias {alias} in {region} points at key {target}, which is not a multi-Region replica; \
         mrk-provider repoints only aliases of replicas, so choose another Alias"
    )]
    AliasOfNonReplica {
        /// The alias.
        alias: String,
        /// Its region.
        region: String,
        /// The key it points at.
        target: String,
    },

    /// An alias to adopt points at a replica of another primary key.
    #[error(
        "the alias {alias} in {region} points at key {target}, a replica of another primary key; AdoptExisting \
         moves an alias only away from a replica of this same primary or one this resource owns, so choose \
         another Alias"
    )]
    AliasOfOtherPrimary {
        /// The alias.
        alias: String,
        /// Its region.
        region: String,
        /// The key it points at.
        target: String,
    },

    /// KMS says a replica exists but does not describe it.
    #[error("KMS reports a replica of {key_id} in {region} but cannot describe it; deploy again")]
    ReplicaVanished {
        /// The multi-Region key id.
        key_id: String,
        /// The region.
        region: String,
    },

    /// An alias disappeared between its CreateAlias and its DescribeKey.
    #[error("the alias {alias} in {region} was changed while it was being created; deploy again")]
    AliasChangedConcurrently {
        /// The alias.
        alias: String,
        /// Its region.
        region: String,
    },

    /// A parameter was deleted and created again by someone else during the request.
    #[error(
        "the parameter {name} in {region} was deleted and created again by someone else while this request \
         wrote it; deploy again"
    )]
    ParameterChangedConcurrently {
        /// The parameter's name.
        name: String,
        /// Its region.
        region: String,
    },

    /// A new replica stayed in `Creating` longer than the provider waits.
    #[error("the replica in {region} was still being created after {seconds} seconds; deploy again later")]
    StillCreating {
        /// The replica's region.
        region: String,
        /// How long the provider waited.
        seconds: u64,
    },

    /// Parameters the reader was asked for do not exist.
    #[error("parameters not found in {region}: {names}; create them first or fix Names")]
    ParametersNotFound {
        /// The region read from.
        region: String,
        /// The missing names, comma-separated.
        names: String,
    },

    /// A reader's `Path` holds no parameter (as `Names` fails on a missing name).
    #[error("no parameter under {path} in {region}; create them first or fix Path")]
    NothingUnderPath {
        /// The path read.
        path: String,
        /// The region read from.
        region: String,
    },

    /// SSM kept answering pages of GetParametersByPath without a last one.
    #[error(
        "SSM answered {pages} pages of GetParametersByPath under {path} in {region} without a last one; \
         deploy again, and read a deeper path if this repeats"
    )]
    EndlessPaging {
        /// The path read.
        path: String,
        /// The region read from.
        region: String,
        /// How many pages were read.
        pages: usize,
    },

    /// A reader's `Path` holds more parameters than one reader reads: nothing is answered, never a
    /// partial set.
    #[error(
        "more than {bound} parameters under {path} in {region} ({seen} read when the provider stopped); \
         read a deeper path, set Recursive to false, or split the values over several readers"
    )]
    TooManyUnderPath {
        /// The path read.
        path: String,
        /// The region read from.
        region: String,
        /// How many were read before the provider stopped.
        seen: usize,
        /// The most one reader reads.
        bound: usize,
    },

    /// The parameters under a reader's `Path` are too large for one answer's attributes.
    #[error(
        "the {count} parameters under {path} in {region} make {bytes} bytes of attributes, over the {limit} \
         bytes CloudFormation accepts in an answer; read a deeper path or split the values over several readers"
    )]
    PathTooLargeToAnswer {
        /// The path read.
        path: String,
        /// The region read from.
        region: String,
        /// How many parameters were read.
        count: usize,
        /// The size of their attributes as JSON.
        bytes: usize,
        /// CloudFormation's limit on an answer.
        limit: usize,
    },

    /// A state the code should never reach; a bug to report.
    #[error("internal error: {bug}; this is a bug in mrk-provider, please report it")]
    Internal {
        /// What went wrong.
        bug: Bug,
    },

    /// A failure about one SSM parameter; the inner error says what failed and where.
    #[error("parameter {name}: {source}")]
    Parameter {
        /// The parameter's name.
        name: String,
        /// What failed.
        #[source]
        source: Box<Error>,
    },

    /// Several calls in one region failed; each inner error says what failed.
    #[error("{} failures in {region}: {}", .errors.len(), join(.errors))]
    FailuresInRegion {
        /// The region.
        region: String,
        /// The failures, at least two.
        errors: Vec<Error>,
    },

    /// Several regions failed; each inner error names its region.
    #[error("{} regions failed: {}", .errors.len(), join(.errors))]
    Regions {
        /// The failures, at least two.
        errors: Vec<Error>,
    },
}

/// What is wrong with the function's configuration (its environment variables).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigProblem {
    /// `RESPONSE_MODE` is not one of its values.
    #[error("RESPONSE_MODE is '{value}'; set it to cloudformation, provider or auto")]
    ResponseMode {
        /// The value set.
        value: String,
    },
    /// A parameter-name prefix (`PARAMETER_PREFIX`, `DECRYPT_PREFIX`) that is not a path.
    #[error("{variable} is '{value}'; it must start with '/'")]
    PrefixWithoutSlash {
        /// The variable.
        variable: &'static str,
        /// The value set.
        value: String,
    },
    /// `ASSUMABLE_ROLE_ARNS` names something that is not a role ARN.
    #[error(
        "ASSUMABLE_ROLE_ARNS names '{value}', which is not a role ARN; list ARNs such as \
         arn:aws:iam::111122223333:role/mrk-provider-target"
    )]
    NotARoleArn {
        /// The entry.
        value: String,
    },
    /// `ASSUMABLE_ROLE_ACCOUNTS` names something that is not an account id.
    #[error(
        "ASSUMABLE_ROLE_ACCOUNTS names '{value}', which is not an account id; list 12-digit ids such as \
         111122223333,444455556666"
    )]
    NotAnAccountId {
        /// The entry.
        value: String,
    },
    /// `ALLOW_BYPASS_POLICY_LOCKOUT_SAFETY_CHECK` is not a boolean.
    #[error("ALLOW_BYPASS_POLICY_LOCKOUT_SAFETY_CHECK is '{value}'; set it to true or false")]
    LockoutBypassFlag {
        /// The value set.
        value: String,
    },
    /// `ALLOWED_PARAMETER_TIERS` names something that is not an SSM tier.
    #[error("ALLOWED_PARAMETER_TIERS names '{value}', which is not an SSM tier; list some of {tiers}")]
    NotATier {
        /// The entry.
        value: String,
        /// The tiers there are, comma-separated.
        tiers: String,
    },
    /// `ALLOWED_REGIONS` names something that is not a region.
    #[error("ALLOWED_REGIONS names '{value}', which is not a region; list regions such as us-east-1,eu-west-1")]
    NotARegion {
        /// The entry.
        value: String,
    },
    /// The test-only loopback prefix is not a loopback URL.
    #[error("{variable}: {why}")]
    LoopbackPrefix {
        /// The variable.
        variable: &'static str,
        /// What is wrong with its value.
        why: String,
    },
}

/// What an AWS error code means for the user: the SDK models most of these as no typed variant
/// (access denied, throttling, network), so [`crate::aws::fault`] reads them from the code once, where
/// the SDK error is wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The caller's role may not make the call (`AccessDeniedException`, STS's `AccessDenied`).
    AccessDenied,
    /// The credentials are not known in that region (`UnrecognizedClientException`).
    UnrecognizedClient,
    /// AWS kept throttling after the retries.
    Throttled,
    /// An account quota was reached.
    QuotaReached,
    /// The call timed out or could not be sent.
    Unreachable,
    /// KMS did not find the key.
    InvalidKeyId,
    /// KMS cannot replicate into that region.
    UnsupportedRegion,
    /// Anything else: the code and message say it all.
    Other,
}

impl Fault {
    /// What the user can do about it, as a sentence without its final period; `None` for
    /// [`Fault::Other`].
    pub fn hint(self) -> Option<&'static str> {
        Some(match self {
            Fault::AccessDenied | Fault::UnrecognizedClient => {
                "Check that the region is in the provider's AllowedRegions and that its role allows this action"
            }
            Fault::Throttled => {
                "AWS kept throttling after retries; deploy again or lower the number of concurrent deployments"
            }
            Fault::QuotaReached => "An account quota was reached; request a higher quota or remove unused resources",
            Fault::Unreachable => "Check that the function can reach the AWS endpoint of that region",
            Fault::InvalidKeyId => {
                "Check KeyId: the key must exist in that region (a multi-Region key's alias works in every region)"
            }
            Fault::UnsupportedRegion => {
                "Multi-Region keys cannot be replicated into that region; remove it from the list"
            }
            Fault::Other => return None,
        })
    }
}

/// Why the caller check refused a request (docs/reference.md, section 7).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// `StackId` is not a stack ARN.
    #[error("the StackId '{stack_id}' is not the ARN of a CloudFormation stack")]
    NotAStackArn {
        /// The request's `StackId`.
        stack_id: String,
    },
    /// The stack is in another account or partition than the function.
    #[error(
        "the stack {stack_id} is in account {account} of {partition}; this provider acts only for stacks of its \
         own account {own_account} ({own_partition}), so deploy the provider in that account"
    )]
    OtherAccount {
        /// The request's `StackId`.
        stack_id: String,
        /// The stack's account.
        account: String,
        /// The stack's partition.
        partition: String,
        /// The function's account.
        own_account: String,
        /// The function's partition.
        own_partition: String,
    },
    /// The stack is in another region than the function.
    #[error(
        "the stack {stack_id} is in {region}; CloudFormation calls a custom resource's ServiceToken only in the \
         stack's own region, and this provider runs in {own_region}"
    )]
    OtherRegion {
        /// The request's `StackId`.
        stack_id: String,
        /// The stack's region.
        region: String,
        /// The function's region.
        own_region: String,
    },
    /// CloudFormation does not show the operation the request claims; in the same words whatever
    /// failed, so that it tells a caller nothing about a stack it could not read itself.
    #[error(
        "CloudFormation is not {doing} the {resource_type} {logical_id} of the stack {stack_id} under this \
         PhysicalResourceId; the provider acts only on a resource that CloudFormation shows {status} at that \
         moment, or, while its stack cleans up or rolls back, on a former PhysicalResourceId of it \
         (DescribeStackResource, DescribeStacks)"
    )]
    NotOperating {
        /// "creating", "updating" or "deleting".
        doing: &'static str,
        /// The request's resource type.
        resource_type: String,
        /// The request's logical id.
        logical_id: String,
        /// The request's `StackId`.
        stack_id: String,
        /// The status CloudFormation would show, e.g. `CREATE_IN_PROGRESS`.
        status: &'static str,
    },
}

/// A state the code should never reach.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Bug {
    /// A change passed the write gate of a request whose caller check ended without verifying it.
    #[error("a change was about to be made for a request whose caller was not verified; nothing was changed")]
    UnverifiedWrite,
    /// The function's own ARN (from Lambda) names no region.
    #[error("the function's own ARN '{arn}' names no region")]
    FunctionArnWithoutRegion {
        /// The ARN.
        arn: String,
    },
    /// The function's own ARN (from Lambda) could not be read.
    #[error("the function's own ARN '{arn}' could not be read")]
    UnreadableFunctionArn {
        /// The ARN.
        arn: String,
    },
    /// A tag the SDK's builder refused, though the properties checked it.
    #[error("tag '{key}' cannot be sent to {service}: {detail}")]
    UnsendableTag {
        /// The tag's key.
        key: String,
        /// `KMS` or `SSM`.
        service: &'static str,
        /// The builder's error.
        detail: String,
    },
    /// AssumeRole answered without credentials.
    #[error("AssumeRole of {role_arn} returned no credentials")]
    NoCredentials {
        /// The role.
        role_arn: String,
    },
    /// AssumeRole answered with an expiry out of range.
    #[error("AssumeRole of {role_arn} returned an expiry out of range")]
    ExpiryOutOfRange {
        /// The role.
        role_arn: String,
    },
    /// A plan names a parameter the properties do not.
    #[error("the plan names {name}, which the properties do not")]
    UnplannedParameter {
        /// The parameter's name.
        name: String,
    },
    /// A plan writes the provider's own `ServiceToken` parameter.
    #[error("a write of the ServiceToken parameter {name} was planned")]
    ServiceTokenWrite {
        /// The parameter's name.
        name: String,
    },
}

impl From<ConfigProblem> for Error {
    fn from(problem: ConfigProblem) -> Self {
        Error::Configuration { problem }
    }
}

impl From<Refusal> for Error {
    fn from(refusal: Refusal) -> Self {
        Error::UnverifiedCaller { refusal }
    }
}

impl From<Bug> for Error {
    fn from(bug: Bug) -> Self {
        Error::Internal { bug }
    }
}

fn join(errors: &[Error]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

impl Error {
    /// An invalid property of `resource_type`, with what is wrong and what is expected.
    pub fn invalid(resource_type: &'static str, property: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidProperty {
            property: property.into(),
            resource_type,
            reason: reason.into(),
        }
    }

    /// A required property of `resource_type` that is absent.
    pub fn missing(resource_type: &'static str, property: &'static str) -> Self {
        Error::MissingProperty {
            property,
            resource_type,
        }
    }

    /// The AWS error code, when this error came from AWS; logged as `aws_error_code`.
    pub fn aws_code(&self) -> Option<&str> {
        match self {
            Error::Aws { code, .. } => Some(code),
            Error::Parameter { source, .. } => source.aws_code(),
            _ => None,
        }
    }

    /// What the AWS error means, when this error came from AWS.
    pub fn fault(&self) -> Option<Fault> {
        match self {
            Error::Aws { fault, .. } => Some(*fault),
            Error::Parameter { source, .. } => source.fault(),
            _ => None,
        }
    }

    /// `true` when AWS refused the call to the caller's role.
    pub fn is_access_denied(&self) -> bool {
        self.fault() == Some(Fault::AccessDenied)
    }

    /// `Ok` when no region failed; else one error naming every failure (a single one unchanged).
    pub fn from_regions(mut errors: Vec<Error>) -> Result<(), Self> {
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.remove(0)),
            _ => Err(Error::Regions { errors }),
        }
    }
}

#[cfg(test)]
mod tests;
