use super::*;

fn still_creating(region: &str) -> Error {
    Error::StillCreating {
        region: region.into(),
        seconds: 600,
    }
}

/// An AWS error as [`crate::aws::fault`] wraps one.
fn aws_error(code: &str, fault: Fault) -> Error {
    Error::Aws {
        operation: "DescribeKey",
        region: "eu-west-1".into(),
        code: code.into(),
        message: "the call failed".into(),
        fault,
    }
}

#[test]
fn several_region_failures_are_counted_and_listed() {
    let err = Error::from_regions(vec![still_creating("eu-west-1"), still_creating("ap-southeast-2")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "2 regions failed: the replica in eu-west-1 was still being created after 600 seconds; deploy again \
         later; the replica in ap-southeast-2 was still being created after 600 seconds; deploy again later"
    );
}

#[test]
fn a_single_region_failure_reads_as_itself() {
    let err = Error::from_regions(vec![still_creating("eu-west-1")]).unwrap_err();
    assert_eq!(err.to_string(), still_creating("eu-west-1").to_string());
}

#[test]
fn no_region_failure_is_ok() {
    assert!(Error::from_regions(Vec::new()).is_ok());
}

#[test]
fn an_aws_error_ends_with_its_faults_hint_after_a_period_and_other_faults_with_none() {
    assert_eq!(
        aws_error("ThrottlingException", Fault::Throttled).to_string(),
        "DescribeKey in eu-west-1 failed (ThrottlingException): the call failed. AWS kept throttling after \
         retries; deploy again or lower the number of concurrent deployments"
    );
    assert_eq!(
        aws_error("KMSInvalidStateException", Fault::Other).to_string(),
        "DescribeKey in eu-west-1 failed (KMSInvalidStateException): the call failed"
    );
}

#[test]
fn the_aws_code_and_fault_are_found_through_a_parameter_and_only_on_aws_errors() {
    let wrapped = Error::Parameter {
        name: "/app/key-arn".into(),
        source: Box::new(aws_error("ParameterLimitExceeded", Fault::QuotaReached)),
    };
    assert_eq!(wrapped.aws_code(), Some("ParameterLimitExceeded"));
    assert_eq!(wrapped.fault(), Some(Fault::QuotaReached));
    assert_eq!(
        aws_error("AccessDenied", Fault::AccessDenied).aws_code(),
        Some("AccessDenied")
    );
    assert!(aws_error("AccessDenied", Fault::AccessDenied).is_access_denied());
    assert!(!aws_error("UnrecognizedClientException", Fault::UnrecognizedClient).is_access_denied());
    let not_aws = Error::Parameter {
        name: "/app/key-arn".into(),
        source: Box::new(Bug::UnverifiedWrite.into()),
    };
    assert_eq!(not_aws.aws_code(), None);
    assert_eq!(not_aws.fault(), None);
    assert_eq!(still_creating("eu-west-1").aws_code(), None);
    assert!(!still_creating("eu-west-1").is_access_denied());
}

#[test]
fn a_single_region_failure_is_returned_as_it_is_with_its_aws_code() {
    // GIVEN one region that failed with an AWS error WHEN the regions' errors are joined
    let err = Error::from_regions(vec![aws_error("ThrottlingException", Fault::Throttled)]).unwrap_err();
    // THEN it is that error, not a list of one: its code is still logged (`aws_error_code`) and checked
    assert!(matches!(err, Error::Aws { .. }), "{err:?}");
    assert_eq!(err.aws_code(), Some("ThrottlingException"));
}

#[test]
fn invalid_and_missing_properties_name_the_property_and_the_resource_type() {
    assert_eq!(
        Error::invalid("Custom::ReplicaKey", "Alias", "must start with alias/").to_string(),
        "invalid property 'Alias' for Custom::ReplicaKey: must start with alias/"
    );
    assert_eq!(
        Error::missing("Custom::ReplicaKey", "PrimaryKeyArn").to_string(),
        "missing required property 'PrimaryKeyArn' for Custom::ReplicaKey"
    );
}

#[test]
fn the_shared_prefixes_stand_before_each_family_of_sentences() {
    assert_eq!(
        Error::from(Bug::UnverifiedWrite).to_string(),
        "internal error: a change was about to be made for a request whose caller was not verified; nothing \
         was changed; this is a bug in mrk-provider, please report it"
    );
    assert_eq!(
        Error::from(ConfigProblem::LockoutBypassFlag { value: "yes".into() }).to_string(),
        "mrk-provider is misconfigured: ALLOW_BYPASS_POLICY_LOCKOUT_SAFETY_CHECK is 'yes'; set it to true or false"
    );
    assert!(
        Error::from(Refusal::NotAStackArn { stack_id: "s".into() })
            .to_string()
            .starts_with("the request was refused and nothing was changed: the StackId 's' is not the ARN")
    );
}
