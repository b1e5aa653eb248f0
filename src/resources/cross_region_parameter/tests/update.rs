//! Update: changed values, added and removed names and regions, changed tags, unreadable old properties.

use super::*;

#[tokio::test(start_paused = true)]
async fn an_update_writes_a_changed_value_in_every_region() {
    // GIVEN /app/key-arn changes value and /app/alias does not
    let old = props(json!({}));
    let new = props(json!({"Parameters": {"/app/key-arn": "arn:new", "/app/alias": "alias/app-data"}}));
    let (eu, ap) = (
        overwrite("/app/key-arn", "arn:new"),
        overwrite("/app/key-arn", "arn:new"),
    );
    let ssm = vec![
        ("eu-west-1", vec![list_tags("/app/key-arn", owner_tags()), eu.clone()]),
        (
            "ap-southeast-2",
            vec![list_tags("/app/key-arn", owner_tags()), ap.clone()],
        ),
    ];

    // WHEN CloudFormation updates the resource
    let outcome = success(answer(ssm, "update", new, Some(old)).await);

    // THEN the new value is written in both regions (and nothing touches /app/alias)
    assert_eq!((eu.num_calls(), ap.num_calls()), (1, 1));
    assert_eq!(outcome.physical_resource_id, fixture("update")["PhysicalResourceId"]);
}

#[tokio::test(start_paused = true)]
async fn an_update_deletes_the_parameters_of_a_removed_region() {
    // GIVEN ap-southeast-2 is removed from Regions
    let old = props(json!({}));
    let new = props(json!({"Regions": ["eu-west-1"]}));
    let removed = delete(&["/app/alias", "/app/key-arn"]);
    let ssm = vec![("ap-southeast-2", vec![list_owned_tags_of_any(), removed.clone()])];

    // WHEN CloudFormation updates the resource
    let outcome = success(answer(ssm, "update", new, Some(old)).await);

    // THEN both owned parameters are deleted there in one call, and eu-west-1 is not touched
    assert_eq!(removed.num_calls(), 1);
    assert_eq!(outcome.data["Names"], "/app/alias,/app/key-arn");
}

#[tokio::test(start_paused = true)]
async fn an_update_writes_added_names_and_deletes_removed_ones() {
    // GIVEN /app/alias is replaced by /app/region in the one region
    let old = props(json!({"Regions": ["eu-west-1"]}));
    let new =
        props(json!({"Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": KEY_ARN, "/app/region": "us-east-1"}}));
    let (added, removed) = (put_new("/app/region", "us-east-1", vec![]), delete(&["/app/alias"]));
    let ssm = vec![(
        "eu-west-1",
        vec![added.clone(), list_tags("/app/alias", owner_tags()), removed.clone()],
    )];

    // WHEN CloudFormation updates the resource
    success(answer(ssm, "update", new, Some(old)).await);

    // THEN the new name is created and the old one deleted
    assert_eq!((added.num_calls(), removed.num_calls()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn changed_tags_are_added_and_removed_on_the_kept_parameters() {
    // GIVEN the tag 'old' is removed and 'team' added; values unchanged
    let old = props(
        json!({"Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": KEY_ARN}, "Tags": [{"Key": "old", "Value": "1"}]}),
    );
    let new = props(
        json!({"Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": KEY_ARN}, "Tags": [{"Key": "team", "Value": "platform"}]}),
    );
    let mut current = owner_tags();
    current.push(tag("old", "1"));
    let mut desired = owner_tags();
    desired.push(tag("team", "platform"));
    let (retag, untag) = (add_tags("/app/key-arn", desired), remove_tags("/app/key-arn", &["old"]));
    let ssm = vec![(
        "eu-west-1",
        vec![list_tags("/app/key-arn", current), retag.clone(), untag.clone()],
    )];

    // WHEN CloudFormation updates the resource
    success(answer(ssm, "update", new, Some(old)).await);

    // THEN the tags are converged without rewriting the value
    assert_eq!((retag.num_calls(), untag.num_calls()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_removed_tag_that_the_parameter_no_longer_has_is_not_removed_again() {
    // GIVEN the tag 'old' is removed from the properties, and someone already took it off the parameter
    let old = props(
        json!({"Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": KEY_ARN}, "Tags": [{"Key": "old", "Value": "1"}]}),
    );
    let new = props(json!({"Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": KEY_ARN}}));
    let untag = remove_tags("/app/key-arn", &["old"]);
    let ssm = vec![(
        "eu-west-1",
        vec![list_tags("/app/key-arn", owner_tags()), untag.clone()],
    )];

    // WHEN CloudFormation updates the resource
    success(answer(ssm, "update", new, Some(old)).await);

    // THEN nothing is called to remove it: the parameter is as desired
    assert_eq!(untag.num_calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn an_update_with_unreadable_old_properties_writes_everything_and_removes_nothing() {
    // GIVEN old properties that do not validate (a rollback of an update that failed validation)
    let old = props(json!({"Regions": "not a region"}));
    let new = props(json!({"Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": KEY_ARN}}));
    let (exists, rewrite) = (put_exists("/app/key-arn"), overwrite("/app/key-arn", KEY_ARN));
    let ssm = vec![(
        "eu-west-1",
        vec![exists.clone(), list_tags("/app/key-arn", owner_tags()), rewrite.clone()],
    )];

    // WHEN CloudFormation updates the resource
    success(answer(ssm, "update", new, Some(old)).await);

    // THEN the parameter is written (overwriting its own) and no DeleteParameters was made
    assert_eq!((exists.num_calls(), rewrite.num_calls()), (1, 1));
}
