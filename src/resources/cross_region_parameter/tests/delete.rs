//! Delete: owned parameters removed (in batches of ten), others left, invalid properties tolerated.

use super::*;

#[tokio::test(start_paused = true)]
async fn delete_removes_the_owned_parameters_and_tolerates_one_already_gone() {
    // GIVEN /app/alias is gone in eu-west-1, and SSM reports a name as invalid in ap-southeast-2
    let (eu_delete, ap_delete) = (delete(&["/app/key-arn"]), {
        mock!(Client::delete_parameters)
            .match_requests(|r| r.names() == ["/app/alias", "/app/key-arn"])
            .then_output(|| {
                DeleteParametersOutput::builder()
                    .deleted_parameters("/app/key-arn")
                    .invalid_parameters("/app/alias")
                    .build()
            })
    });
    let ssm = vec![
        (
            "eu-west-1",
            vec![
                list_tags_of_missing("/app/alias"),
                list_tags("/app/key-arn", owner_tags()),
                eu_delete.clone(),
            ],
        ),
        ("ap-southeast-2", vec![list_owned_tags_of_any(), ap_delete.clone()]),
    ];

    // WHEN the resource is deleted
    let outcome = success(answer(ssm, "delete", props(json!({})), None).await);

    // THEN it succeeds, having deleted what was there
    assert_eq!((eu_delete.num_calls(), ap_delete.num_calls()), (1, 1));
    assert_eq!(outcome.physical_resource_id, fixture("delete")["PhysicalResourceId"]);
}

#[tokio::test(start_paused = true)]
async fn delete_leaves_parameters_that_it_does_not_own() {
    // GIVEN /app/key-arn belongs to another resource
    let properties = props(json!({"Regions": ["eu-west-1"]}));
    let removed = delete(&["/app/alias"]);
    let ssm = vec![(
        "eu-west-1",
        vec![
            list_tags("/app/key-arn", foreign_tags()),
            list_tags("/app/alias", owner_tags()),
            removed.clone(),
        ],
    )];
    // WHEN the resource is deleted
    success(answer(ssm, "delete", properties, None).await);
    // THEN only its own parameter is deleted (DeleteParameters with /app/key-arn would match no rule)
    assert_eq!(removed.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn twenty_three_names_are_deleted_in_batches_of_ten_ten_and_three() {
    // GIVEN 23 owned parameters in one region
    let parameters: Map<String, Value> = (0..23).map(|i| (format!("/app/p{i:02}"), json!("v"))).collect();
    let properties = props(json!({"Regions": ["eu-west-1"], "Parameters": parameters}));
    let batches = Arc::new(Mutex::new(Vec::new()));
    let seen = batches.clone();
    let deletes = mock!(Client::delete_parameters).then_compute_output(move |r| {
        seen.lock().unwrap().push(r.names().to_vec());
        DeleteParametersOutput::builder().build()
    });
    let ssm = vec![("eu-west-1", vec![list_owned_tags_of_any(), deletes.clone()])];

    // WHEN the resource is deleted
    success(answer(ssm, "delete", properties, None).await);

    // THEN three DeleteParameters calls took 10, 10 and 3 names, each name once, in name order
    assert_eq!(deletes.num_calls(), 3);
    let batches = batches.lock().unwrap().clone();
    assert_eq!(batches.iter().map(Vec::len).collect::<Vec<_>>(), vec![10, 10, 3]);
    let all: Vec<String> = batches.concat();
    let expected: Vec<String> = (0..23).map(|i| format!("/app/p{i:02}")).collect();
    assert_eq!(all, expected);
}

#[tokio::test]
async fn a_delete_with_invalid_properties_succeeds_without_calls() {
    // GIVEN properties that never validated (so the Create wrote nothing), and no SSM rules
    // WHEN the resource is deleted
    let outcome = success(answer(vec![], "delete", props(json!({"Parameters": {"bad name": "x"}})), None).await);
    // THEN it succeeds
    assert_eq!(outcome.physical_resource_id, fixture("delete")["PhysicalResourceId"]);
}
