//! The writer reference client of `make bench` (the writer-5-names-cold figure): the least a process
//! can do to answer a CrossRegionParameter Create against the local AWS. It asks the Runtime API for the event, sends one PutParameter per
//! name, all at once (a thread and a connection each, as the provider sends them), with the body the
//! provider sends, PUTs SUCCESS to the ResponseURL, and posts the invocation's result.
//!
//! What it leaves out is what the benchmark is meant to show: no AWS SDK, no TLS setup, no request
//! signing (moto does not check signatures), no retries, no logs. Plain HTTP/1.1 over std sockets.
//! It only works against the benchmark's harness and local AWS; it is not a provider.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;

use serde_json::{Value, json};

type Result<T> = std::result::Result<T, String>;

/// An HTTP/1.1 answer: its head (status line and headers) and body.
struct Answer {
    head: String,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }

    fn ok(self, what: &str) -> Result<Self> {
        if self.head.starts_with("HTTP/1.1 2") {
            Ok(self)
        } else {
            Err(format!("{what}: {} {}", self.head, String::from_utf8_lossy(&self.body)))
        }
    }
}

/// Sends one request on a new connection and reads the answer (by its Content-Length).
fn call(address: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<Answer> {
    let error = |e: std::io::Error| format!("{method} http://{address}{path}: {e}");
    let mut stream = TcpStream::connect(address).map_err(error)?;
    stream.set_nodelay(true).map_err(error)?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes).map_err(error)?;
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
            let mut answer = Answer { head, body: Vec::new() };
            let length: usize = answer
                .header("Content-Length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            if buffer.len() >= end + 4 + length {
                answer.body = buffer[end + 4..end + 4 + length].to_vec();
                return Ok(answer);
            }
        }
        let read = stream.read(&mut chunk).map_err(error)?;
        if read == 0 {
            return Err(format!(
                "{method} http://{address}{path}: the connection closed mid-answer"
            ));
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
}

fn text<'a>(value: &'a Value, what: &str) -> Result<&'a str> {
    value.as_str().ok_or_else(|| format!("the event has no {what}"))
}

fn run() -> Result<()> {
    let env = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let api = env("AWS_LAMBDA_RUNTIME_API")?;
    let endpoint = env("AWS_ENDPOINT_URL")?;
    let aws = endpoint
        .strip_prefix("http://")
        .ok_or("AWS_ENDPOINT_URL must be http://")?
        .trim_end_matches('/');
    let next = "/2018-06-01/runtime/invocation/next";

    let invocation = call(&api, "GET", next, &[], b"")?.ok("GET next")?;
    let request_id = invocation
        .header("Lambda-Runtime-Aws-Request-Id")
        .ok_or("no request id")?
        .to_string();
    let event: Value = serde_json::from_slice(&invocation.body).map_err(|e| format!("the event: {e}"))?;
    let properties = &event["ResourceProperties"];
    let region = text(&properties["Regions"][0], "region")?;
    let names = properties["Parameters"]
        .as_object()
        .ok_or("the event has no Parameters")?;
    // The provider's ownership tags (OWNER_STACK_TAG and OWNER_LOGICAL_ID_TAG in src/resources/mod.rs),
    // copied: depending on the provider's crate would bring in the SDK this client exists to leave out.
    let tags = json!([
        {"Key": "mrk-provider:stack", "Value": event["StackId"]},
        {"Key": "mrk-provider:logical-id", "Value": event["LogicalResourceId"]},
    ]);
    // moto reads the region from the credential scope, and checks no signature.
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261123/{region}/ssm/aws4_request, SignedHeaders=host, Signature=0"
    );

    let writes: Vec<_> = names
        .iter()
        .map(|(name, value)| {
            let body = json!({
                "Name": name, "Value": value, "Type": "String", "Overwrite": false, "Tags": tags, "Tier": "Standard",
            });
            let (aws, authorization) = (aws.to_string(), authorization.clone());
            std::thread::spawn(move || {
                let headers = [
                    ("Content-Type", "application/x-amz-json-1.1"),
                    ("X-Amz-Target", "AmazonSSM.PutParameter"),
                    ("X-Amz-Date", "20261123T000000Z"),
                    ("Authorization", authorization.as_str()),
                ];
                call(&aws, "POST", "/", &headers, body.to_string().as_bytes())?
                    .ok("PutParameter")
                    .map(|_| ())
            })
        })
        .collect();
    for write in writes {
        write
            .join()
            .map_err(|_| "a PutParameter thread panicked".to_string())??;
    }

    let url = text(&event["ResponseURL"], "ResponseURL")?;
    let rest = url.strip_prefix("http://").ok_or("the ResponseURL must be http://")?;
    let (host, path) = rest.split_at(rest.find('/').ok_or("the ResponseURL has no path")?);
    let answer = json!({
        "Status": "SUCCESS", "Reason": "written", "PhysicalResourceId": format!("floor-{request_id}"),
        "StackId": event["StackId"], "RequestId": event["RequestId"], "LogicalResourceId": event["LogicalResourceId"],
        "Data": {"Names": names.keys().cloned().collect::<Vec<_>>().join(",")},
    });
    call(
        host,
        "PUT",
        path,
        &[("Content-Type", "")],
        answer.to_string().as_bytes(),
    )?
    .ok("the answer PUT")?;
    let result = format!("/2018-06-01/runtime/invocation/{request_id}/response");
    call(&api, "POST", &result, &[], b"{}")?.ok("the invocation result")?;
    // Waits for the next event, as a Lambda runtime does, until the benchmark stops the process.
    call(&api, "GET", next, &[], b"").map(|_| ())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("floor: {error}");
            ExitCode::FAILURE
        }
    }
}
