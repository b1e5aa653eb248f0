//! `Refresh`: a changed value reads every parameter and writes only those that differ in AWS.

use aws_sdk_ssm::operation::get_parameters::GetParametersOutput;
use aws_sdk_ssm::types::Parameter;

use super::*;

/// GetParameters of exactly `names` (not decrypted): the parameters `found` as (name, value) Strings.
fn get(names: &'static [&'static str], found: &'static [(&'static str, &'static str)]) -> Rule {
    mock!(Client::get_parameters)
        .match_requests(move |r| r.names() == names && r.with_decryption() == Some(false))
        .sequence()
        .output(move || {
            GetParametersOutput::builder()
                .set_parameters(Some(
                    found
                        .iter()
                        .map(|(name, value)| {
                            Parameter::builder()
                                .name(*name)
                                .value(*value)
                                .r#type(ParameterType::String)
                                .build()
                        })
                        .collect(),
                ))
                .build()
        })
        .repeatedly()
        .build()
}

const NAMES: &[&str] = &["/app/alias", "/app/key-arn"];
const IN_AWS: &[(&str, &str)] = &[("/app/alias", "alias/app-data"), ("/app/key-arn", KEY_ARN)];

#[tokio::test(start_paused = true)]
async fn a_refresh_of_unchanged_values_reads_them_and_writes_nothing() {
    // GIVEN both parameters in both regions hold the values of the properties
    let (eu, ap) = (get(NAMES, IN_AWS), get(NAMES, IN_AWS));
    let ssm = vec![("eu-west-1", vec![eu.clone()]), ("ap-southeast-2", vec![ap.clone()])];

    // WHEN only Refresh changes, twice
    let first = success(
        answer(
            ssm,
            "update",
            props(json!({"Refresh": "2"})),
            Some(props(json!({"Refresh": "1"}))),
        )
        .await,
    );
    let ssm = vec![("eu-west-1", vec![eu.clone()]), ("ap-southeast-2", vec![ap.clone()])];
    let second = success(
        answer(
            ssm,
            "update",
            props(json!({"Refresh": "3"})),
            Some(props(json!({"Refresh": "2"}))),
        )
        .await,
    );

    // THEN each refresh read each region once (any write would have matched no rule and failed it),
    // and the answers are the same
    assert_eq!((eu.num_calls(), ap.num_calls()), (2, 2));
    assert_eq!(first, second);
}

#[tokio::test(start_paused = true)]
async fn a_refresh_writes_back_a_value_changed_outside_cloudformation_and_recreates_a_deleted_one() {
    // GIVEN /app/key-arn changed by hand in eu-west-1, and /app/alias deleted there
    let drifted = get(NAMES, &[("/app/key-arn", "arn:by-hand")]);
    let (rewrite, recreate) = (
        overwrite("/app/key-arn", KEY_ARN),
        put_new("/app/alias", "alias/app-data", vec![]),
    );
    let ssm = vec![
        (
            "eu-west-1",
            vec![
                drifted.clone(),
                list_tags("/app/key-arn", owner_tags()),
                rewrite.clone(),
                recreate.clone(),
            ],
        ),
        ("ap-southeast-2", vec![get(NAMES, IN_AWS)]),
    ];

    // WHEN Refresh changes
    success(
        answer(
            ssm,
            "update",
            props(json!({"Refresh": "b"})),
            Some(props(json!({"Refresh": "a"}))),
        )
        .await,
    );

    // THEN the value is written back and the deleted parameter created again, in eu-west-1 only
    assert_eq!((rewrite.num_calls(), recreate.num_calls()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_refresh_does_not_overwrite_a_parameter_that_someone_else_now_owns() {
    // GIVEN /app/key-arn in eu-west-1 changed and retagged by another stack
    let ssm = vec![
        (
            "eu-west-1",
            vec![
                get(
                    NAMES,
                    &[("/app/key-arn", "arn:theirs"), ("/app/alias", "alias/app-data")],
                ),
                list_tags("/app/key-arn", foreign_tags()),
            ],
        ),
        ("ap-southeast-2", vec![get(NAMES, IN_AWS)]),
    ];

    // WHEN Refresh changes
    let (_, reason) = failure(
        answer(
            ssm,
            "update",
            props(json!({"Refresh": "b"})),
            Some(props(json!({"Refresh": "a"}))),
        )
        .await,
    );

    // THEN it fails naming the owner, and nothing was written
    assert!(reason.contains("does not own it"), "{reason}");
}
