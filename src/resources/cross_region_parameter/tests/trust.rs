//! The second trust review's rules for `Custom::CrossRegionParameter`: CloudFormation's own owner tag,
//! the provider's own ServiceToken parameter, and the tiers the deployment allows. Each attack is
//! refused with nothing changed; each has a legitimate twin that succeeds.

use super::*;
use crate::resources::ownership::CLOUDFORMATION_STACK_TAG;

const SERVICE_TOKEN: &str = "/app/mrk-provider/service-token";

/// The parameter's tags: ours, plus CloudFormation's tag naming the stack `other/1`, which made it.
fn ours_and_cloudformations() -> Vec<Tag> {
    let mut tags = owner_tags();
    tags.push(tag(
        CLOUDFORMATION_STACK_TAG,
        "arn:aws:cloudformation:us-east-1:123456789012:stack/other/1",
    ));
    tags
}

#[tokio::test(start_paused = true)]
async fn a_parameter_that_a_live_stack_created_itself_is_never_adopted_or_overwritten() {
    for (answer, changed, expected) in [
        (OwnerStack::Shows("UPDATE_COMPLETE"), false, "which still exists"),
        (OwnerStack::Shows("UPDATE_ROLLBACK_FAILED"), false, "which still exists"),
        (
            OwnerStack::Unreadable,
            false,
            "could not be read: DescribeStacks in us-east-1 failed (AccessDenied)",
        ),
        // The twin: the stack that made it is gone, so AdoptExisting takes it over
        (OwnerStack::Shows("DELETE_COMPLETE"), true, ""),
    ] {
        // GIVEN an AWS::SSM::Parameter of another stack (CloudFormation's tag, no owner tags)
        let cloudformations = vec![tag(
            CLOUDFORMATION_STACK_TAG,
            "arn:aws:cloudformation:us-east-1:123456789012:stack/other/1",
        )];

        // WHEN a Create with AdoptExisting names it
        let Adoption {
            answered,
            owner,
            rewrite,
            retag,
        } = adopt(cloudformations, answer).await;

        // THEN it is changed only when that stack is gone
        assert_eq!(owner.num_calls(), 1);
        if changed {
            success(answered);
            assert_eq!((rewrite.num_calls(), retag.num_calls()), (1, 1));
        } else {
            let (_, reason) = failure(answered);
            assert!(
                reason.starts_with("the parameter /app/key-arn in eu-west-1 "),
                "{reason}"
            );
            assert!(reason.contains("aws:cloudformation:stack-id"), "{reason}");
            assert!(reason.contains(expected), "{reason}");
            assert_eq!((rewrite.num_calls(), retag.num_calls()), (0, 0));
        }
    }
}

#[tokio::test(start_paused = true)]
async fn owner_tags_do_not_outrank_cloudformations_own_tag() {
    // GIVEN a parameter with this resource's owner tags that a live stack nevertheless created
    let rewrite = overwrite("/app/key-arn", "changed");
    let owner = owner_stack(OwnerStack::Shows("CREATE_COMPLETE"));
    let app = TestApp::new().cloudformation("us-east-1", vec![owner.clone()]).ssm(
        "eu-west-1",
        vec![
            put_exists("/app/key-arn"),
            list_tags("/app/key-arn", ours_and_cloudformations()),
            rewrite.clone(),
        ],
    );
    let properties = props(json!({"Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": "changed"}}));

    // WHEN a Create (a re-delivered one would adopt what it owns) reaches it
    let (_, reason) = failure(answer_with(app, "create", properties, None).await);

    // THEN nothing is written
    assert!(reason.contains("was created by the stack"), "{reason}");
    assert_eq!(rewrite.num_calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_delete_leaves_what_a_live_stack_created_and_deletes_the_rest() {
    // GIVEN two owned parameters, one of which a live stack created itself
    let removed = delete(&["/app/alias"]);
    let owner = owner_stack(OwnerStack::Shows("UPDATE_COMPLETE"));
    let app = TestApp::new().cloudformation("us-east-1", vec![owner.clone()]).ssm(
        "eu-west-1",
        vec![
            list_tags("/app/key-arn", ours_and_cloudformations()),
            list_tags("/app/alias", owner_tags()),
            removed.clone(),
        ],
    );

    // WHEN the resource is deleted
    success(answer_with(app, "delete", props(json!({"Regions": ["eu-west-1"]})), None).await);

    // THEN only the other one is deleted (a DeleteParameters naming /app/key-arn matches no rule)
    assert_eq!((owner.num_calls(), removed.num_calls()), (1, 1));
}

/// A provider whose ServiceToken parameter is [`SERVICE_TOKEN`], under its prefix.
fn with_service_token(app: TestApp) -> TestApp {
    app.env("SERVICE_TOKEN_PARAMETER", SERVICE_TOKEN)
}

#[tokio::test(start_paused = true)]
async fn the_service_token_parameter_is_never_written_whatever_adopt_existing_says() {
    for request_type in ["create", "update"] {
        // GIVEN a writer that names the provider's own ServiceToken parameter, with AdoptExisting
        let properties = props(json!({
            "Regions": ["eu-west-1"], "Parameters": {SERVICE_TOKEN: "arn:aws:lambda:us-east-1:210987654321:function:evil"},
            "AdoptExisting": "true",
        }));
        let old = (request_type == "update").then(|| props(json!({"Regions": ["eu-west-1"]})));
        // No SSM rule: any call fails the test
        let app = with_service_token(TestApp::new());

        // WHEN it arrives
        let (_, reason) = failure(answer_with(app, request_type, properties, old).await);

        // THEN it is refused before any call
        assert_eq!(
            reason,
            format!(
                "invalid property 'Parameters' for Custom::CrossRegionParameter: '{SERVICE_TOKEN}' is the \
                 parameter that holds this provider's own ServiceToken, which no resource may write, adopt or \
                 delete; choose another name"
            )
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_delete_never_deletes_the_service_token_parameter_whatever_its_tags() {
    // GIVEN a Delete whose properties name the ServiceToken parameter, which carries this resource's
    // owner tags (a person can tag it), and another owned name
    let properties = props(json!({
        "Regions": ["eu-west-1"], "Parameters": {SERVICE_TOKEN: "x", "/app/alias": "y"},
    }));
    let removed = delete(&["/app/alias"]);
    let app = with_service_token(TestApp::new()).ssm(
        "eu-west-1",
        vec![
            list_tags(SERVICE_TOKEN, owner_tags()),
            list_tags("/app/alias", owner_tags()),
            removed.clone(),
        ],
    );

    // WHEN it arrives
    success(answer_with(app, "delete", properties, None).await);

    // THEN only the other name was deleted (a DeleteParameters naming the token matches no rule)
    assert_eq!(removed.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_paid_tier_is_refused_unless_the_deployment_allows_it() {
    for tier in ["Advanced", "Intelligent-Tiering"] {
        // GIVEN the default deployment (Standard only); no SSM rule, so any call fails the test
        let properties = props(json!({"Regions": ["eu-west-1"], "Tier": tier}));
        let (_, reason) = failure(answer_with(TestApp::new(), "create", properties.clone(), None).await);
        assert!(
            reason.starts_with(&format!(
                "invalid property 'Tier' for Custom::CrossRegionParameter: '{tier}' is not one of this \
                 provider's AllowedParameterTiers (Standard)"
            )),
            "{reason}"
        );

        // AND the twin: a deployment that allows the tier writes it, in that tier
        let put = mock!(Client::put_parameter)
            .match_requests(move |r| r.tier().map(ParameterTier::as_str) == Some(tier))
            .then_output(|| PutParameterOutput::builder().version(1).build());
        let app = TestApp::new()
            .env("ALLOWED_PARAMETER_TIERS", &format!("Standard,{tier}"))
            .ssm("eu-west-1", vec![put.clone()]);
        success(answer_with(app, "create", properties, None).await);
        assert_eq!(put.num_calls(), 2, "{tier}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_paid_tier_writes_at_most_the_bound_of_parameters_per_resource() {
    // GIVEN 50 names in two regions (100) and in three (150)
    let names: Map<String, Value> = (0..50).map(|i| (format!("/app/p{i}"), json!("v"))).collect();
    let app = || TestApp::new().env("ALLOWED_PARAMETER_TIERS", "Advanced");
    let three = props(json!({
        "Regions": ["eu-west-1", "ap-southeast-2", "us-west-2"], "Parameters": names, "Tier": "Advanced",
    }));
    let (_, reason) = failure(answer_with(app(), "create", three, None).await);
    assert!(
        reason.ends_with(
            "150 parameters (50 names in 3 regions) in the Advanced tier; one resource writes at most 100 \
             parameters in a tier that costs money, so split it, or use Standard"
        ),
        "{reason}"
    );
    // AND 100 is within the bound (it reaches SSM, whose PutParameter answers for any name)
    let any_put = mock!(Client::put_parameter).then_output(|| PutParameterOutput::builder().version(1).build());
    let two = props(json!({"Regions": ["eu-west-1", "ap-southeast-2"], "Parameters": names, "Tier": "Advanced"}));
    let app = app()
        .ssm("eu-west-1", vec![any_put.clone()])
        .ssm("ap-southeast-2", vec![any_put.clone()]);
    success(answer_with(app, "create", two, None).await);
    assert_eq!(any_put.num_calls(), 100);
}
