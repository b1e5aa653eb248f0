//! Waiting for a replica: KMS makes it `Creating` (or not yet found) before `Enabled`; the handler
//! polls until it is usable, answers soon after, and gives up before CloudFormation's deadline.

use super::*;

#[tokio::test(start_paused = true)]
async fn a_replica_that_replicate_key_answers_enabled_is_not_polled() {
    // GIVEN a ReplicateKey that answers the new replica already Enabled
    let polled = describe_replica(&[Some(KeyState::Enabled)]);
    let kms = vec![
        (
            "us-east-1",
            vec![
                describe_primary(),
                get_policy(),
                replicate_answering("eu-west-1", KeyState::Enabled),
            ],
        ),
        ("eu-west-1", vec![polled.clone(), create_alias()]),
    ];

    // WHEN the resource is created
    success(answer(kms, "create", props(json!({"ReplicaRegions": ["eu-west-1"]})), None).await);

    // THEN nothing waits for the replica: DescribeKey in its region is never called
    assert_eq!(polled.num_calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn create_waits_while_the_replica_is_not_found_then_creating() {
    // GIVEN a replica region that does not know the key right after ReplicateKey, then reports Creating
    let wait = describe_replica(&[
        None,
        Some(KeyState::Creating),
        Some(KeyState::Creating),
        Some(KeyState::Enabled),
    ]);
    let kms = vec![
        (
            "us-east-1",
            vec![describe_primary(), get_policy(), replicate("eu-west-1")],
        ),
        ("eu-west-1", vec![wait.clone(), create_alias()]),
    ];

    // WHEN the resource is created
    let outcome = success(answer(kms, "create", props(json!({"ReplicaRegions": ["eu-west-1"]})), None).await);

    // THEN the handler polled until Enabled (4 DescribeKey calls), then answered
    assert_eq!(wait.num_calls(), 4);
    assert_eq!(
        outcome.data["ReplicaKeyArns"],
        "arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab"
    );
}

/// DescribeKey of the replica: `Creating` until `usable_after` has passed since the rule was made
/// (on the paused clock), then `Enabled`.
fn creating_for(usable_after: Duration) -> Rule {
    let usable_at = tokio::time::Instant::now() + usable_after;
    mock!(Client::describe_key)
        .match_requests(|r| r.key_id() == Some(KEY_ID))
        .then_output(move || {
            let state = if tokio::time::Instant::now() >= usable_at {
                KeyState::Enabled
            } else {
                KeyState::Creating
            };
            DescribeKeyOutput::builder().key_metadata(replica(state)).build()
        })
}

#[tokio::test(start_paused = true)]
async fn the_answer_comes_within_half_a_second_of_the_replica_leaving_creating() {
    for usable_after in [1_000, 2_700, 10_000, 33_300, 60_000].map(Duration::from_millis) {
        // GIVEN a replica that KMS reports Creating for `usable_after`
        let started = tokio::time::Instant::now();
        let wait = creating_for(usable_after);
        let kms = vec![
            (
                "us-east-1",
                vec![describe_primary(), get_policy(), replicate("eu-west-1")],
            ),
            ("eu-west-1", vec![wait.clone(), create_alias()]),
        ];
        // WHEN the resource is created
        success(answer(kms, "create", props(json!({"ReplicaRegions": ["eu-west-1"]})), None).await);
        // THEN it answered at most CREATING_POLL after the replica became usable, polling at most
        // twice a second
        let took = tokio::time::Instant::now() - started;
        assert!(
            took >= usable_after && took <= usable_after + super::super::CREATING_POLL,
            "{usable_after:?}: answered after {took:?}"
        );
        let polls = wait.num_calls() as f64;
        assert!(
            polls <= 2.0 * usable_after.as_secs_f64() + 2.0,
            "{usable_after:?}: {polls} polls"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_replica_still_creating_after_ten_minutes_fails_the_create() {
    // GIVEN a replica that KMS reports Creating longer than the wait, polled every 500 ms (1300 answers:
    // one more poll finds no rule and fails the test rather than polling without end)
    let started = tokio::time::Instant::now();
    let creating = mock!(Client::describe_key)
        .match_requests(|r| r.key_id() == Some(KEY_ID))
        .sequence()
        .output(|| {
            DescribeKeyOutput::builder()
                .key_metadata(replica(KeyState::Creating))
                .build()
        })
        .times(1300)
        .build();
    let kms = vec![
        (
            "us-east-1",
            vec![describe_primary(), get_policy(), replicate("eu-west-1")],
        ),
        ("eu-west-1", vec![creating.clone()]),
    ];
    // WHEN the resource is created
    let (_, reason) = failure(answer(kms, "create", props(json!({"ReplicaRegions": ["eu-west-1"]})), None).await);
    // THEN it fails after 10 minutes, saying so
    assert!(
        reason.contains("the replica in eu-west-1 was still being created after 600 seconds; deploy again later"),
        "{reason}"
    );
    let took = tokio::time::Instant::now() - started;
    assert!(
        took >= Duration::from_secs(600) && took <= Duration::from_secs(600) + super::super::CREATING_POLL,
        "{took:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn delete_waits_for_a_replica_still_creating_and_not_for_one_that_is_ready() {
    // GIVEN an owned replica in eu-west-1 that is Creating for two polls, and an Enabled one in
    // ap-southeast-2, each with the alias on it
    let (creating, ready) = (
        describe_replica(&[
            Some(KeyState::Creating),
            Some(KeyState::Creating),
            Some(KeyState::Enabled),
        ]),
        describe_replica(&[Some(KeyState::Enabled)]),
    );
    let (eu_scheduled, ap_scheduled) = (schedule_deletion(7), schedule_deletion(7));
    let region = |describe: &Rule, schedule: &Rule| {
        vec![
            describe.clone(),
            list_tags(owner_tags()),
            alias_points_at(KEY_ID),
            delete_alias(),
            schedule.clone(),
        ]
    };
    let kms = vec![
        ("eu-west-1", region(&creating, &eu_scheduled)),
        ("ap-southeast-2", region(&ready, &ap_scheduled)),
    ];
    // WHEN the resource is deleted
    success(answer(kms, "delete", props(json!({})), None).await);
    // THEN each replica is scheduled for deletion; only the Creating one was described until it was ready
    assert_eq!((eu_scheduled.num_calls(), ap_scheduled.num_calls()), (1, 1));
    assert_eq!((creating.num_calls(), ready.num_calls()), (3, 1));
}
