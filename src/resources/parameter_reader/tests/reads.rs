//! Reads: names keyed by themselves (and `Value` for one), ten a call, a Delete without calls, a
//! `Refresh` that re-reads.

use super::*;

#[tokio::test]
async fn two_names_are_read_and_keyed_by_name() {
    // GIVEN two String parameters in us-east-1
    let read = get(
        &["/app/key-arn", "/app/alias"],
        false,
        vec![
            parameter(
                "/app/key-arn",
                "arn:aws:kms:us-east-1:1:key/mrk-1",
                ParameterType::String,
            ),
            parameter("/app/alias", "alias/app-data", ParameterType::String),
        ],
    );
    let properties = props("us-east-1", &["/app/key-arn", "/app/alias"], false);

    // WHEN a reader in another region is created
    let outcome = success(answer(vec![("us-east-1", vec![read.clone()])], "create", properties).await);

    // THEN one GetParameters read both, each value is the attribute of its name, and no Value is set
    assert_eq!(read.num_calls(), 1);
    assert_eq!(outcome.data["/app/key-arn"], "arn:aws:kms:us-east-1:1:key/mrk-1");
    assert_eq!(outcome.data["/app/alias"], "alias/app-data");
    assert_eq!(outcome.data.len(), 2);
    assert!(!outcome.no_echo);
    assert_eq!(outcome.physical_resource_id, physical_id());
}

#[tokio::test]
async fn a_single_name_is_also_the_value_attribute_and_an_update_keeps_the_id() {
    // GIVEN one parameter
    let read = get(
        &["/app/key-arn"],
        false,
        vec![parameter("/app/key-arn", "arn:1", ParameterType::String)],
    );
    // WHEN the reader is updated
    let outcome = success(
        answer(
            vec![("us-east-1", vec![read])],
            "update",
            props("us-east-1", &["/app/key-arn"], false),
        )
        .await,
    );
    // THEN Value and the name both hold the value, and the id is the one CloudFormation sent
    assert_eq!(outcome.data["Value"], "arn:1");
    assert_eq!(outcome.data["/app/key-arn"], "arn:1");
    assert_eq!(outcome.physical_resource_id, fixture("update")["PhysicalResourceId"]);
}

#[tokio::test(start_paused = true)]
async fn names_are_read_ten_at_a_time() {
    // GIVEN 12 names
    const NAMES: [&str; 12] = [
        "/p/01", "/p/02", "/p/03", "/p/04", "/p/05", "/p/06", "/p/07", "/p/08", "/p/09", "/p/10", "/p/11", "/p/12",
    ];
    let all =
        |names: &[&str]| -> Vec<Parameter> { names.iter().map(|n| parameter(n, "v", ParameterType::String)).collect() };
    let (first, second) = (
        get(
            &[
                "/p/01", "/p/02", "/p/03", "/p/04", "/p/05", "/p/06", "/p/07", "/p/08", "/p/09", "/p/10",
            ],
            false,
            all(&NAMES[..10]),
        ),
        get(&["/p/11", "/p/12"], false, all(&NAMES[10..])),
    );
    // WHEN the reader is created
    let outcome = success(
        answer(
            vec![("eu-west-1", vec![first.clone(), second.clone()])],
            "create",
            props("eu-west-1", &NAMES, false),
        )
        .await,
    );
    // THEN two GetParameters calls read 10 and 2 names
    assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
    assert_eq!(outcome.data.len(), 12);
}

#[tokio::test]
async fn delete_makes_no_aws_call() {
    // GIVEN no SSM rules: any call would fail the test
    // WHEN the reader is deleted
    let outcome = success(answer(vec![], "delete", props("eu-west-1", &["/app/key-arn"], true)).await);
    // THEN it succeeds with its id
    assert_eq!(outcome.physical_resource_id, fixture("delete")["PhysicalResourceId"]);
}

#[tokio::test]
async fn a_refresh_rereads_and_answers_the_same_until_the_value_changes() {
    // GIVEN a parameter whose value is arn:1, then arn:2
    let first = get(
        &["/app/key-arn"],
        false,
        vec![parameter("/app/key-arn", "arn:1", ParameterType::String)],
    );
    let changed = get(
        &["/app/key-arn"],
        false,
        vec![parameter("/app/key-arn", "arn:2", ParameterType::String)],
    );
    let refresh = |value: &str| {
        let mut properties = props("us-east-1", &["/app/key-arn"], false);
        properties["Refresh"] = json!(value);
        properties
    };

    // WHEN Refresh changes twice over the same value, then once more after the value changed
    let one = success(answer(vec![("us-east-1", vec![first.clone()])], "update", refresh("1")).await);
    let two = success(answer(vec![("us-east-1", vec![first.clone()])], "update", refresh("2")).await);
    let three = success(answer(vec![("us-east-1", vec![changed.clone()])], "update", refresh("3")).await);

    // THEN every refresh read the name; the first two answers are identical, with the same id, and the
    // third carries the new value under that same id
    assert_eq!((first.num_calls(), changed.num_calls()), (2, 1));
    assert_eq!(one, two);
    assert_eq!(three.physical_resource_id, one.physical_resource_id);
    assert_eq!(three.data["Value"], "arn:2");
}
