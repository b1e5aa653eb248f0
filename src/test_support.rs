//! Shared test tools: the [`TestApp`] builder (mocked AWS clients per region, an environment), requests
//! built from the JSON fixtures, the fixtures' owner tags, a local ResponseURL receiver, and a local
//! address nothing answers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_config::Region;
use aws_sdk_ssm::config::Credentials;
use aws_sdk_sts::operation::assume_role::AssumeRoleOutput;
use aws_smithy_mocks::{Rule, RuleMode, mock_client};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::app::Config;
use crate::aws::{
    ClientMakers, Clients, cloudformation_settings, kms_settings, retry_config, ssm_settings, sts_settings,
    with_ssm_retries,
};
use crate::https::Https;
use crate::protocol::{Answer, Deadline, Outcome, Request, Responder, run};
use crate::resources::ResourceHandler;
use crate::resources::ownership::{OWNER_LOGICAL_ID_TAG, OWNER_STACK_TAG};

/// A request fixture (`create`, `update` or `delete`) as JSON.
pub fn fixture(name: &str) -> Value {
    let text = match name {
        "create" => include_str!("../tests/fixtures/create.json"),
        "update" => include_str!("../tests/fixtures/update.json"),
        "delete" => include_str!("../tests/fixtures/delete.json"),
        other => panic!("no fixture named {other}"),
    };
    serde_json::from_str(text).expect("fixtures are valid JSON")
}

/// The fixture `name` with its `ResourceProperties` (and `OldResourceProperties`, if given) replaced.
pub fn event(name: &str, properties: Value, old_properties: Option<Value>) -> Value {
    let mut event = fixture(name);
    event["ResourceProperties"] = properties;
    if let Some(old) = old_properties {
        event["OldResourceProperties"] = old;
    }
    event
}

/// `base` (a JSON object) with `changes` applied: each key set, or removed when its value is `null`.
pub fn merged(mut base: Value, changes: Value) -> Value {
    let (Some(props), Value::Object(changes)) = (base.as_object_mut(), changes) else {
        panic!("merged takes two JSON objects");
    };
    for (key, value) in changes {
        if value.is_null() {
            props.remove(&key);
        } else {
            props.insert(key, value);
        }
    }
    base
}

/// A parsed request from [`event`].
pub fn request(name: &str, properties: Value, old_properties: Option<Value>) -> Request {
    Request::parse(&event(name, properties, old_properties)).expect("test events parse")
}

/// A parsed request of `resource_type` for the resource `logical_id`, from the fixture `name`.
pub fn typed_request(
    resource_type: &str,
    logical_id: &str,
    name: &str,
    properties: Value,
    old_properties: Option<Value>,
) -> Request {
    let mut event = event(name, properties, old_properties);
    event["ResourceType"] = Value::String(resource_type.to_string());
    event["LogicalResourceId"] = Value::String(logical_id.to_string());
    Request::parse(&event).expect("test events parse")
}

/// The outcome of a SUCCESS answer; fails the test with the reason of a FAILED one.
pub fn success(answer: Answer) -> Outcome {
    match answer {
        Answer::Success(outcome) => outcome,
        Answer::Failed { reason, .. } => panic!("expected SUCCESS, got FAILED: {reason}"),
    }
}

/// The PhysicalResourceId and reason of a FAILED answer; fails the test on a SUCCESS.
pub fn failure(answer: Answer) -> (String, String) {
    match answer {
        Answer::Failed {
            physical_resource_id,
            reason,
        } => (physical_resource_id, reason),
        Answer::Success(outcome) => panic!("expected FAILED, got SUCCESS: {outcome:?}"),
    }
}

/// The `StackId` of the fixtures.
pub fn stack_id() -> String {
    fixture("create")["StackId"]
        .as_str()
        .expect("the fixtures have a StackId")
        .to_string()
}

/// The ARN of the function that receives the fixtures' requests.
pub const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:mrk-provider";

/// A Lambda context of the function [`FUNCTION_ARN`], with no deadline.
pub fn lambda_context() -> lambda_runtime::Context {
    let mut context = lambda_runtime::Context::default();
    context.invoked_function_arn = FUNCTION_ARN.to_string();
    context
}

/// CloudFormation rules for the fixtures' stack: it is in `status` and has every logical id, as a
/// resource of `resource_type` in `resource_status` whose current physical id is `physical_id`. Only
/// requests about that stack match them.
pub fn calling_stack_rules(
    status: &str,
    resource_type: &str,
    resource_status: &str,
    physical_id: Option<String>,
) -> Vec<Rule> {
    vec![
        stack_in(status),
        stack_resource(resource_type, resource_status, physical_id),
    ]
}

/// An SSM client that answers with `rules`, with the SDK's retries off as the provider's SSM clients have
/// them ([`with_ssm_retries`]).
pub fn ssm_client(rules: &[&Rule]) -> aws_sdk_ssm::Client {
    mock_client!(aws_sdk_ssm, RuleMode::MatchAny, rules, with_ssm_retries)
}

/// Answers the caller check's rules give, far more than any test's requests ask: a check that asks
/// again without end finds no rule after that, and fails its test instead of hanging it.
const CALLING_STACK_ANSWERS: usize = 1000;

/// DescribeStacks of the fixtures' stack, [`CALLING_STACK_ANSWERS`] times: it is in `status`.
pub fn stack_in(status: &str) -> Rule {
    use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksOutput;
    use aws_sdk_cloudformation::types::{Stack, StackStatus};
    let status = StackStatus::from(status);
    aws_smithy_mocks::mock!(aws_sdk_cloudformation::Client::describe_stacks)
        .match_requests(|input| input.stack_name() == Some(stack_id().as_str()))
        .sequence()
        .output(move || {
            DescribeStacksOutput::builder()
                .stacks(
                    Stack::builder()
                        .stack_id(stack_id())
                        .stack_name("app-keys")
                        .stack_status(status.clone())
                        .build(),
                )
                .build()
        })
        .times(CALLING_STACK_ANSWERS)
        .build()
}

/// DescribeStackResource of the fixtures' stack, [`CALLING_STACK_ANSWERS`] times: every logical id is a
/// resource of `resource_type`, in `status`, whose current physical id is `physical_id`.
pub fn stack_resource(resource_type: &str, status: &str, physical_id: Option<String>) -> Rule {
    use aws_sdk_cloudformation::operation::describe_stack_resource::DescribeStackResourceOutput;
    use aws_sdk_cloudformation::types::{ResourceStatus, StackResourceDetail};
    let (resource_type, status) = (resource_type.to_string(), ResourceStatus::from(status));
    aws_smithy_mocks::mock!(aws_sdk_cloudformation::Client::describe_stack_resource)
        .match_requests(|input| input.stack_name() == Some(stack_id().as_str()))
        .sequence()
        .output(move || {
            DescribeStackResourceOutput::builder()
                .stack_resource_detail(
                    StackResourceDetail::builder()
                        .stack_id(stack_id())
                        .resource_type(resource_type.clone())
                        .resource_status(status.clone())
                        .set_physical_resource_id(physical_id.clone())
                        .build(),
                )
                .build()
        })
        .times(CALLING_STACK_ANSWERS)
        .build()
}

/// The resource status CloudFormation shows while a stack in `stack_status` waits for a request,
/// when the test does not say which request: the stack's own status where it is one of a resource's,
/// else `UPDATE_IN_PROGRESS`.
fn resource_status_under(stack_status: &str) -> &str {
    match stack_status {
        "CREATE_IN_PROGRESS" | "DELETE_IN_PROGRESS" => stack_status,
        _ => "UPDATE_IN_PROGRESS",
    }
}

/// AssumeRole's answer: credentials whose access key id is `access_key_id` and that expire `valid_for`
/// from now.
pub fn assume_role_output(access_key_id: &str, valid_for: std::time::Duration) -> AssumeRoleOutput {
    let expires = aws_smithy_types::DateTime::from(std::time::SystemTime::now() + valid_for);
    AssumeRoleOutput::builder()
        .credentials(
            aws_sdk_sts::types::Credentials::builder()
                .access_key_id(access_key_id)
                .secret_access_key("secret")
                .session_token("token")
                .expiration(expires)
                .build()
                .expect("all four fields are set"),
        )
        .build()
}

/// Every AssumeRole answers [`assume_role_output`].
pub fn assume_role_rule(access_key_id: &str, valid_for: std::time::Duration) -> Rule {
    let key = access_key_id.to_string();
    aws_smithy_mocks::mock!(aws_sdk_sts::Client::assume_role).then_output(move || assume_role_output(&key, valid_for))
}

/// A PutParameter that behaves like SSM at a quota of `per_second` calls: at most that many calls
/// in any second of the (paused) clock go through, the rest are throttled (counted in `throttled`).
/// It answers raw HTTP, as SSM does. Share one rule among clients to share the quota.
pub fn put_parameter_at_quota(per_second: usize, throttled: Arc<Mutex<usize>>) -> Rule {
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    let recent: Arc<Mutex<std::collections::VecDeque<tokio::time::Instant>>> = Arc::default();
    aws_smithy_mocks::mock!(aws_sdk_ssm::Client::put_parameter).then_http_response(move || {
        let now = tokio::time::Instant::now();
        let mut recent = recent.lock().unwrap();
        while recent
            .front()
            .is_some_and(|at| now - *at >= std::time::Duration::from_secs(1))
        {
            recent.pop_front();
        }
        let (status, body) = if recent.len() >= per_second {
            *throttled.lock().unwrap() += 1;
            (400, r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#)
        } else {
            recent.push_back(now);
            (200, r#"{"Version":1,"Tier":"Standard"}"#)
        };
        HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body))
    })
}

/// The two owner tags of the resource `logical_id` of the fixtures' stack, as key-value pairs.
pub fn owner_tags(logical_id: &str) -> Vec<(String, String)> {
    vec![
        (OWNER_STACK_TAG.to_string(), stack_id()),
        (OWNER_LOGICAL_ID_TAG.to_string(), logical_id.to_string()),
    ]
}

/// Builds the [`ResourceHandler`] a test runs: AWS clients that answer with `aws-smithy-mocks` rules per region
/// (any order, the first matching rule answers; a call that no rule matches panics inside the handler,
/// which the protocol answers as FAILED), and the configuration of the environment variables given.
/// SSM and KMS clients are paced by the same rate limiters as in production. Unless a test gives its own,
/// CloudFormation in us-east-1 shows the fixtures' stack `UPDATE_IN_PROGRESS` with the request's
/// resource ([`calling_stack_rules`]), so the caller check passes.
#[derive(Default)]
pub struct TestApp {
    kms: HashMap<String, Vec<Rule>>,
    ssm: HashMap<String, Vec<Rule>>,
    cloudformation: HashMap<String, Vec<Rule>>,
    sts: Vec<Rule>,
    /// SSM rules of assumed roles, by the access key id of the credentials and region.
    ssm_as: HashMap<(String, String), Vec<Rule>>,
    /// The stack status and resource type of the default CloudFormation rules.
    calling_stack: Option<(String, String)>,
    /// The resource status and current physical id of the default CloudFormation rules.
    calling_resource: Option<(String, Option<String>)>,
    env: Vec<(String, String)>,
}

impl TestApp {
    /// An app with no rules (any KMS or SSM call fails the test) and an empty environment.
    pub fn new() -> Self {
        TestApp::default()
    }

    /// KMS in `region` answers with `rules`.
    pub fn kms(mut self, region: &str, rules: Vec<Rule>) -> Self {
        self.kms.entry(region.to_string()).or_default().extend(rules);
        self
    }

    /// SSM in `region` answers with `rules`.
    pub fn ssm(mut self, region: &str, rules: Vec<Rule>) -> Self {
        self.ssm.entry(region.to_string()).or_default().extend(rules);
        self
    }

    /// CloudFormation in `region` answers with `rules`, before the default rules of the calling stack.
    pub fn cloudformation(mut self, region: &str, rules: Vec<Rule>) -> Self {
        self.cloudformation.entry(region.to_string()).or_default().extend(rules);
        self
    }

    /// STS (in the function's region) answers with `rules`.
    pub fn sts(mut self, rules: Vec<Rule>) -> Self {
        self.sts.extend(rules);
        self
    }

    /// SSM in `region`, called with the credentials whose access key id is `access_key_id` (an
    /// assumed role's, see [`assume_role_rule`]), answers with `rules`.
    pub fn ssm_as(mut self, access_key_id: &str, region: &str, rules: Vec<Rule>) -> Self {
        self.ssm_as
            .entry((access_key_id.to_string(), region.to_string()))
            .or_default()
            .extend(rules);
        self
    }

    /// CloudFormation shows the calling stack in `status`, with its resources of `resource_type`
    /// (by default `UPDATE_IN_PROGRESS`, and the request's type).
    pub fn calling_stack(mut self, status: &str, resource_type: &str) -> Self {
        self.calling_stack = Some((status.to_string(), resource_type.to_string()));
        self
    }

    /// CloudFormation shows the calling resource in `status` with the current physical id
    /// `physical_id` (by default: the status of the request's type, and the request's physical id).
    pub fn calling_resource(mut self, status: &str, physical_id: Option<&str>) -> Self {
        self.calling_resource = Some((status.to_string(), physical_id.map(str::to_string)));
        self
    }

    /// KMS in each region answers with that region's rules.
    pub fn kms_by_region(self, rules: Vec<(&str, Vec<Rule>)>) -> Self {
        rules
            .into_iter()
            .fold(self, |app, (region, rules)| app.kms(region, rules))
    }

    /// SSM in each region answers with that region's rules.
    pub fn ssm_by_region(self, rules: Vec<(&str, Vec<Rule>)>) -> Self {
        rules
            .into_iter()
            .fold(self, |app, (region, rules)| app.ssm(region, rules))
    }

    /// The environment variable `name` is `value`.
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    /// The configuration that the environment gives.
    pub fn config(&self) -> Config {
        let env = self.env.clone();
        Config::from_vars(move |name| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    /// The app.
    pub fn build(self) -> Arc<ResourceHandler> {
        let config = self.config();
        let (kms, ssm, mut cloudformation) = (self.kms, self.ssm, self.cloudformation);
        let (sts, ssm_as) = (self.sts, self.ssm_as);
        let (status, resource_type) = self.calling_stack.unwrap_or_else(|| {
            (
                "UPDATE_IN_PROGRESS".into(),
                crate::resources::replica_key::RESOURCE_TYPE.into(),
            )
        });
        let (resource_status, physical_id) = self
            .calling_resource
            .unwrap_or_else(|| (resource_status_under(&status).to_string(), None));
        cloudformation
            .entry("us-east-1".to_string())
            .or_default()
            .extend(calling_stack_rules(
                &status,
                &resource_type,
                &resource_status,
                physical_id,
            ));
        let clients = Clients::new(ClientMakers {
            kms: Box::new(move |region: &str| {
                let rules = kms.get(region).cloned().unwrap_or_default();
                let region = Region::new(region.to_string());
                mock_client!(aws_sdk_kms, RuleMode::MatchAny, &rules, |c| kms_settings(
                    c.region(region.clone())
                ))
            }),
            ssm: Box::new(move |region: &str| {
                let rules = ssm.get(region).cloned().unwrap_or_default();
                let region = Region::new(region.to_string());
                mock_client!(aws_sdk_ssm, RuleMode::MatchAny, &rules, |c| ssm_settings(
                    c.region(region.clone())
                ))
            }),
            cloudformation: Box::new(move |region: &str| {
                let rules = cloudformation.get(region).cloned().unwrap_or_default();
                let region = Region::new(region.to_string());
                mock_client!(aws_sdk_cloudformation, RuleMode::MatchAny, &rules, |c| {
                    cloudformation_settings(c.region(region.clone()).retry_config(retry_config()))
                })
            }),
            sts: Box::new(move |region: &str| {
                let region = Region::new(region.to_string());
                mock_client!(aws_sdk_sts, RuleMode::MatchAny, &sts, |c| {
                    sts_settings(c.region(region.clone()).retry_config(retry_config()))
                })
            }),
            ssm_as: Box::new(move |region: &str, credentials: &Credentials| {
                let key = (credentials.access_key_id().to_string(), region.to_string());
                let rules = ssm_as.get(&key).cloned().unwrap_or_default();
                let region = Region::new(region.to_string());
                mock_client!(aws_sdk_ssm, RuleMode::MatchAny, &rules, |c| ssm_settings(
                    c.region(region.clone())
                ))
            }),
        });
        Arc::new(ResourceHandler::new(clients, config.scope, config.problem))
    }

    /// A responder that runs the app, in the response mode of the environment.
    pub fn responder(self) -> Responder<ResourceHandler> {
        let config = self.config();
        Responder::new(self.build(), config.response_mode, Https::default()).with_response_urls(config.response_urls)
    }

    /// Builds the app and answers `request` with it, with no deadline; unless set, the calling stack's
    /// resource has the request's type.
    pub async fn answer(self, request: Request) -> Answer {
        self.answer_within(request, Deadline::unknown()).await
    }

    /// Like [`TestApp::answer`], with `deadline`.
    pub async fn answer_within(mut self, request: Request, deadline: Deadline) -> Answer {
        if self.calling_stack.is_none() {
            self.calling_stack = Some(("UPDATE_IN_PROGRESS".into(), request.resource_type.clone()));
        }
        if self.calling_resource.is_none() {
            let status = crate::resources::caller::operating_status(request.request_type);
            self.calling_resource = Some((status.to_string(), request.physical_resource_id.clone()));
        }
        within_real_time(run(self.build(), request, FUNCTION_ARN, deadline)).await
    }
}

/// How long, in real time, one request or call of a unit test may take: far more than any takes (on
/// the paused clock they take milliseconds, on the real clock a few seconds), and less than
/// cargo-mutants' 40-second test timeout (.cargo/mutants.toml).
pub const HUNG_AFTER: std::time::Duration = std::time::Duration::from_secs(20);

/// `work`, or a panic once it has taken [`HUNG_AFTER`] of real time: a change that makes a request
/// wait forever (a gate that never opens, a loop that never sleeps on the paused clock) then fails its
/// test instead of hanging the test run. A thread of its own keeps the time, since the paused clock
/// does not move while a task spins or waits for nothing.
pub async fn within_real_time<T>(work: impl std::future::Future<Output = T>) -> T {
    let (alarm, rung) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        std::thread::sleep(HUNG_AFTER);
        let _ = alarm.send(());
    });
    tokio::select! {
        done = work => done,
        _ = rung => panic!("no result after {HUNG_AFTER:?} of real time: the code under test hangs"),
    }
}

/// Log lines written by the production JSON subscriber (at TRACE for the crate) while a test runs.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

thread_local! {
    /// Where this thread's log lines go while it captures them.
    static CAPTURE: std::cell::RefCell<Option<Captured>> = const { std::cell::RefCell::new(None) };
}

/// The test binary's one subscriber, global, writing each thread's lines to its capture if it has
/// one. One global subscriber rather than one per test: with per-thread subscribers, tracing caches
/// each call site's interest across threads, and a site first reached by a test without a subscriber
/// could stay silent for the test that captures.
fn install_the_test_subscriber() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_env_filter(crate::logging::filter(Some("trace")))
            .with_current_span(true)
            .with_span_list(false)
            .with_target(false)
            .without_time()
            .with_writer(|| ThisThreadsCapture)
            .finish();
        // Fails only if another global subscriber was set first, which no test does.
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

/// Writes to the current thread's capture, or nowhere.
struct ThisThreadsCapture;

impl std::io::Write for ThisThreadsCapture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        CAPTURE.with(|capture| {
            if let Some(captured) = capture.borrow().as_ref() {
                captured.0.lock().unwrap().extend_from_slice(bytes);
            }
        });
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A log capture in progress; it ends when this is dropped.
pub struct Capturing;

impl Drop for Capturing {
    fn drop(&mut self) {
        CAPTURE.with(|capture| capture.borrow_mut().take());
    }
}

impl Captured {
    /// Captures what this thread logs (a current-thread test runtime runs the handler's task here too)
    /// until the returned [`Capturing`] is dropped.
    pub fn logs_of_this_thread() -> (Self, Capturing) {
        install_the_test_subscriber();
        let captured = Captured::default();
        CAPTURE.with(|capture| *capture.borrow_mut() = Some(captured.clone()));
        (captured, Capturing)
    }

    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// The address of a port on 127.0.0.1 that was free a moment ago, so nothing listens on it.
pub fn unreachable_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("bind a free port on 127.0.0.1")
        .port();
    format!("http://127.0.0.1:{port}")
}

/// One PUT (or other request) seen by the [`Receiver`].
#[derive(Debug, Clone)]
pub struct Received {
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub target: String,
    /// The `Content-Type` header, if sent.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

impl Received {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the answer is JSON")
    }
}

/// A ResponseURL on 127.0.0.1 that records every request and fails the first `fail_first` with 500.
pub struct Receiver {
    /// `http://127.0.0.1:PORT/response?X-Amz-Signature=secret`
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Starts listening on a free port.
    pub async fn start(fail_first: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("local address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        let task = tokio::spawn(async move {
            // Bounded: a test sends a handful of requests; the task is aborted on drop.
            for _ in 0..64 {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let Some(request) = read_request(&mut stream).await else {
                    continue;
                };
                let count = {
                    let mut log = log.lock().unwrap();
                    log.push(request);
                    log.len()
                };
                let status = if count <= fail_first {
                    "500 Internal Server Error"
                } else {
                    "200 OK"
                };
                let reply = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                let _ = stream.write_all(reply.as_bytes()).await;
                let _ = stream.shutdown().await;
            }
        });
        Receiver {
            url: format!("http://127.0.0.1:{port}/response?X-Amz-Signature=secret"),
            received,
            task,
        }
    }

    /// `http://127.0.0.1:PORT`, where the receiver listens.
    pub fn origin(&self) -> &str {
        self.url
            .split_once("/response")
            .map_or(self.url.as_str(), |(origin, _)| origin)
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<Received> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut start = lines.next()?.split(' ');
    let (method, target) = (start.next()?.to_string(), start.next()?.to_string());
    let header = |name: &str| {
        head.split("\r\n")
            .filter_map(|line| line.split_once(':'))
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
    };
    let length: usize = header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut body = buffer[header_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Received {
        method,
        target,
        content_type: header("content-type"),
        body,
    })
}
