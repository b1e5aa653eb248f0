//! Throughput: throttled and conflicting writes retried, a deadline that throttling reaches, and
//! two hundred parameters in three regions paced below SSM's quota.

use super::*;

#[tokio::test(start_paused = true)]
async fn a_throttled_put_is_retried_until_it_succeeds() {
    // GIVEN PutParameter is throttled twice, then succeeds
    let put = mock!(Client::put_parameter)
        .sequence()
        .error(|| PutParameterError::generic(aws_error("ThrottlingException")))
        .times(2)
        .output(|| PutParameterOutput::builder().version(1).build())
        .build();
    let properties = props(json!({"Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": KEY_ARN}}));
    // WHEN the resource is created
    success(answer(vec![("eu-west-1", vec![put.clone()])], "create", properties, None).await);
    // THEN the SDK's retries got through: three attempts
    assert_eq!(put.num_calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_put_throttled_until_the_deadline_fails_in_time_saying_it_was_throttled() {
    // GIVEN SSM throttling every PutParameter, and a function with 60 seconds left
    let put = mock!(Client::put_parameter).then_error(|| PutParameterError::generic(aws_error("ThrottlingException")));
    let properties = props(json!({"Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": KEY_ARN}}));
    let request = typed_request(RESOURCE_TYPE, LOGICAL_ID, "create", properties, None);
    let started = Instant::now();
    // WHEN the resource is created
    let answer = TestApp::new()
        .ssm("eu-west-1", vec![put.clone()])
        .answer_within(request, Deadline::after(Duration::from_secs(60)))
        .await;
    // THEN it was retried until the deadline guard's margin (54 s), then answered FAILED in time, naming
    // the call and how often SSM throttled it
    let took = Instant::now() - started;
    assert_eq!(took, Duration::from_secs(54));
    let (_, reason) = failure(answer);
    assert!(
        reason.contains("ran out of time during PutParameter /app/key-arn in eu-west-1 (throttled "),
        "{reason}"
    );
    assert!(put.num_calls() > 12, "{}", put.num_calls());
}

#[tokio::test(start_paused = true)]
async fn a_put_that_meets_a_concurrent_update_is_retried() {
    // GIVEN PutParameter answers TooManyUpdates once (another call was changing the parameter), then succeeds
    let put = mock!(Client::put_parameter)
        .sequence()
        .error(|| {
            PutParameterError::TooManyUpdates(
                TooManyUpdates::builder()
                    .message("Concurrent updates")
                    .meta(aws_error("TooManyUpdates"))
                    .build(),
            )
        })
        .output(|| PutParameterOutput::builder().version(2).build())
        .build();
    let properties = props(json!({"Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": KEY_ARN}}));
    // WHEN the resource is created
    success(answer(vec![("eu-west-1", vec![put.clone()])], "create", properties, None).await);
    // THEN the write was tried again and got through
    assert_eq!(put.num_calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn two_hundred_parameters_in_three_regions_are_written_without_being_throttled() {
    // GIVEN 200 parameters, and three regions each throttling above 40 calls a second
    let parameters: Map<String, Value> = (0..200).map(|i| (format!("/app/p{i:03}"), json!("v"))).collect();
    let properties =
        props(json!({"Regions": ["eu-west-1", "eu-central-1", "ap-southeast-2"], "Parameters": parameters}));
    let throttled = Arc::new(Mutex::new(0));
    let regions = ["eu-west-1", "eu-central-1", "ap-southeast-2"];
    let rules: Vec<Rule> = regions
        .iter()
        .map(|_| test_support::put_parameter_at_quota(40, throttled.clone()))
        .collect();
    let ssm = regions
        .iter()
        .zip(&rules)
        .map(|(r, rule)| (*r, vec![rule.clone()]))
        .collect();
    let started = Instant::now();

    // WHEN the resource is created
    success(answer(ssm, "create", properties, None).await);

    // THEN every parameter was written once in every region, none was ever throttled, and the regions
    // were written side by side at the rate limiter's pace (8 at once, then 192 at 30 a second: 6.4 s,
    // not three times that)
    assert_eq!(
        rules.iter().map(Rule::num_calls).collect::<Vec<_>>(),
        vec![200, 200, 200]
    );
    assert_eq!(*throttled.lock().unwrap(), 0);
    let took = Instant::now() - started;
    assert!(
        took >= Duration::from_millis(6300) && took < Duration::from_millis(6800),
        "{took:?}"
    );
}
