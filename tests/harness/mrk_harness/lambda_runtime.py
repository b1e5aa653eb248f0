"""Runs the real `bootstrap` binary the way Lambda and CloudFormation do.

- `RuntimeApi`: the Lambda Runtime API (2018-06-01: `next`, `response`, `error`, `init/error`) on
  127.0.0.1, with real `Lambda-Runtime-Deadline-Ms` and `Lambda-Runtime-Invoked-Function-Arn` headers.
  One function process serves many invocations, like a warm Lambda.
- `ResponseReceiver`: the pre-signed ResponseURL; records every PUT and can fail the first N with 500.
- `Function`: starts the binary with the environment Lambda gives it and sends CloudFormation events,
  built exactly as CloudFormation sends them (every property value a string). Before each event it
  registers the stack and the resource with the local AWS, in the status CloudFormation would have them
  in while it waits for the answer, so that the function's DescribeStacks and DescribeStackResource
  find them.
"""

from __future__ import annotations

import json
import os
import queue
import shlex
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .localaws.client import register_stack

ROOT = Path(__file__).resolve().parents[3]  # tests/harness/mrk_harness/ → the repository
ACCOUNT = "123456789012"


def function_arn(region: str) -> str:
    """The ARN of the provider's function in `region`: what Lambda says it invoked, and the ServiceToken of
    the stacks of that region (CloudFormation calls a ServiceToken only in the stack's own region)."""
    return f"arn:aws:lambda:{region}:{ACCOUNT}:function:mrk-provider"


FUNCTION_ARN = function_arn("us-east-1")
RUNTIME_PREFIX = "/2018-06-01/runtime"


# Lets the function answer on a loopback URL (src/app.rs); the deployment templates never set it.
TEST_ONLY_RESPONSE_URL_PREFIX = "MRK_PROVIDER_TEST_ONLY_RESPONSE_URL_PREFIX"
LOOPBACK = "http://127.0.0.1"

# The status of the stack, and of the resource, while CloudFormation waits for the answer to each request type.
IN_PROGRESS = {"Create": "CREATE_IN_PROGRESS", "Update": "UPDATE_IN_PROGRESS", "Delete": "DELETE_IN_PROGRESS"}


def binary_path() -> Path:
    """The binary under test: $MRK_BOOTSTRAP, else the debug build that `make test` made."""
    return Path(os.environ.get("MRK_BOOTSTRAP", ROOT / "target" / "debug" / "bootstrap"))


def emulator() -> list[str]:
    """What runs the binary, if this machine cannot: $MRK_BOOTSTRAP_EMULATOR, split like a shell would
    (`make e2e-arm64` sets it to qemu-aarch64 for the arm64 build). Empty: the binary runs itself."""
    return shlex.split(os.environ.get("MRK_BOOTSTRAP_EMULATOR", ""))


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # the suite reports, not the servers
        pass

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    """A threaded local server for which a peer that hangs up is not an error: a function process is
    stopped while its long poll is open at the end of every run."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


@dataclass
class Result:
    """What the function process reported for one invocation."""

    kind: str  # "response" or "error"
    body: Any


class RuntimeApi:
    """The Lambda Runtime API for one function process."""

    def __init__(self, function_arn: str = FUNCTION_ARN) -> None:
        self.function_arn = function_arn
        self._events: queue.Queue = queue.Queue()
        self._results: dict[str, Result] = {}
        self._done = threading.Condition()
        self._closing = threading.Event()
        self.first_next_at: float | None = None
        self.init_errors: list[Any] = []
        api = self

        class Handler(_Quiet):
            def do_GET(self) -> None:
                if self.path != f"{RUNTIME_PREFIX}/invocation/next":
                    return self._reply(404)
                if api.first_next_at is None:
                    api.first_next_at = time.monotonic()
                # Long poll, as Lambda does; bounded so that a stopped suite never leaves a thread.
                for _ in range(1200):
                    if api._closing.is_set():
                        break
                    try:
                        request_id, deadline_ms, arn, event = api._events.get(timeout=0.5)
                    except queue.Empty:
                        continue
                    # Bytes go out as they are: tests send payloads that are not JSON.
                    body = event if isinstance(event, bytes) else json.dumps(event).encode()
                    return self._reply(
                        200,
                        body,
                        {
                            "Content-Type": "application/json",
                            "Lambda-Runtime-Aws-Request-Id": request_id,
                            "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
                            "Lambda-Runtime-Invoked-Function-Arn": arn,
                            "Lambda-Runtime-Trace-Id": f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]}",
                        },
                    )
                self._reply(503)

            def do_POST(self) -> None:
                body = self._body()
                parts = self.path.removeprefix(RUNTIME_PREFIX).strip("/").split("/")
                if parts == ["init", "error"]:
                    api.init_errors.append(body.decode(errors="replace"))
                    return self._reply(202)
                if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    try:
                        parsed = json.loads(body) if body else None
                    except ValueError:
                        parsed = body.decode(errors="replace")
                    with api._done:
                        api._results[parts[1]] = Result(parts[2], parsed)
                        api._done.notify_all()
                    return self._reply(202)
                self._reply(404)

        self._server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    def invoke(self, event: dict | bytes, timeout: float = 60.0, deadline_in: float | None = None,
               function_arn: str | None = None) -> Result:
        """Queues one invocation (a JSON event, or the payload's bytes as they are) and waits (at most
        `timeout` s) for the function to report it."""
        request_id = str(uuid.uuid4())
        deadline_ms = int((time.time() + (deadline_in if deadline_in is not None else timeout)) * 1000)
        self._events.put((request_id, deadline_ms, function_arn or self.function_arn, event))
        end = time.monotonic() + timeout
        with self._done:
            while request_id not in self._results:
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"the function did not finish invocation {request_id} in {timeout} s")
                self._done.wait(left)
            return self._results.pop(request_id)

    def close(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()


@dataclass
class Put:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> dict:
        return json.loads(self.body)


class ResponseReceiver:
    """The ResponseURL that CloudFormation pre-signs: records PUTs, can fail the next N with 500."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.puts: list[Put] = []
        self._fail_next = 0
        self._lock = threading.Condition()
        receiver = self

        class Handler(_Quiet):
            def do_PUT(self) -> None:
                body = self._body()
                with receiver._lock:
                    receiver.puts.append(Put(self.path, dict(self.headers.items()), body, time.monotonic()))
                    failing = receiver._fail_next > 0
                    if failing:
                        receiver._fail_next -= 1
                    receiver._lock.notify_all()
                self._reply(500 if failing else 200)

        self._server = _Server((host, 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def url(self, request_id: str) -> str:
        host, port = self._server.server_address[:2]
        return (f"http://{host}:{port}/cloudformation-custom-resource-response/{request_id}"
                "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=e2e0secret0signature")

    def fail_next(self, count: int) -> None:
        with self._lock:
            self._fail_next = count

    def for_request(self, request_id: str) -> list[Put]:
        with self._lock:
            return [p for p in self.puts if f"/{request_id}?" in p.path]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def cfn_strings(value: Any) -> Any:
    """Property values as CloudFormation sends them: every scalar becomes a string."""
    if isinstance(value, dict):
        return {k: cfn_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [cfn_strings(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return value
    return str(value)


@dataclass
class Stack:
    """A CloudFormation stack that custom-resource events come from."""

    name: str
    region: str = "us-east-1"
    stack_id: str = field(init=False)

    def __post_init__(self) -> None:
        self.stack_id = f"arn:aws:cloudformation:{self.region}:{ACCOUNT}:stack/{self.name}/{uuid.uuid4()}"


@dataclass
class Answer:
    """CloudFormation's view of one request: the PUT body(ies) and what Lambda got back."""

    puts: list[Put]
    result: Result
    started: float
    seconds: float

    @property
    def answered_after(self) -> float:
        """Seconds from the invocation to the last PUT."""
        assert self.puts, "no answer was PUT"
        return self.puts[-1].at - self.started

    @property
    def body(self) -> dict:
        assert self.puts, f"no answer was PUT; the function returned {self.result}"
        return self.puts[-1].json()

    @property
    def status(self) -> str:
        return self.body["Status"]

    @property
    def reason(self) -> str:
        return self.body.get("Reason") or ""

    @property
    def physical_id(self) -> str:
        return self.body["PhysicalResourceId"]

    @property
    def data(self) -> dict:
        return self.body.get("Data") or {}


class Function:
    """The bootstrap binary running as a warm Lambda in `region`, with CloudFormation's side of the protocol
    (for the stacks of that region)."""

    def __init__(self, endpoint: str, log_path: Path, env: dict[str, str] | None = None,
                 region: str = "us-east-1", binary: Path | None = None) -> None:
        self.endpoint = endpoint  # the local AWS: the function's AWS_ENDPOINT_URL, where stacks are registered
        self.region = region
        self.function_arn = function_arn(region)
        self.runtime = RuntimeApi(self.function_arn)
        self.receiver = ResponseReceiver()
        self.log_path = log_path
        binary = binary or binary_path()
        if not binary.exists():
            raise FileNotFoundError(f"{binary} is missing: run `cargo build` (make test does) first")
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "AWS_LAMBDA_RUNTIME_API": self.runtime.address,
            "AWS_LAMBDA_FUNCTION_NAME": "mrk-provider",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/mrk-provider",
            "AWS_LAMBDA_LOG_STREAM_NAME": "2026/11/22/[$LATEST]e2e",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
            "LOG_LEVEL": "debug",
            # The ResponseURL receiver listens on 127.0.0.1; in production only CloudFormation's buckets.
            TEST_ONLY_RESPONSE_URL_PREFIX: LOOPBACK,
        }
        environment.update(env or {})
        self._log = open(log_path, "ab")
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(
            [*emulator(), str(binary)], env=environment, stdout=self._log, stderr=subprocess.STDOUT)

    def send(self, request_type: str, resource_type: str, logical_id: str, properties: dict, stack: Stack,
             old_properties: dict | None = None, physical_id: str | None = None, deadline_in: float = 60.0,
             timeout: float = 90.0, request_id: str | None = None, raw: dict | bytes | None = None,
             stack_status: str | None = None, register: bool = True) -> Answer:
        """Sends one event as CloudFormation would and returns what CloudFormation would see.

        First it registers the stack with the local AWS in the status of `request_type` (`stack_status`
        overrides it: UPDATE_ROLLBACK_IN_PROGRESS for the Update of a rollback, for example), and the
        resource (`logical_id`, `resource_type`, `physical_id` if given) in that request type's status. A
        `raw` event, or `register=False`, registers nothing: the local AWS keeps what it had."""
        request_id = request_id or str(uuid.uuid4())
        if raw is None and register:
            self.register(request_type, resource_type, logical_id, stack, physical_id, stack_status)
        event = raw if raw is not None else self.event(
            request_type, resource_type, logical_id, properties, stack, old_properties, physical_id, request_id)
        started = time.monotonic()
        result = self.runtime.invoke(event, timeout=timeout, deadline_in=deadline_in)
        return Answer(self.receiver.for_request(request_id), result, started, time.monotonic() - started)

    def register(self, request_type: str, resource_type: str, logical_id: str, stack: Stack,
                 physical_id: str | None = None, stack_status: str | None = None) -> dict:
        """Registers the stack and the resource as CloudFormation has them while it waits for the answer to a
        `request_type` event (one local HTTP call); returns the stack as the local AWS now has it."""
        if request_type not in IN_PROGRESS:
            raise ValueError(f"no CloudFormation status for a {request_type!r} request: send it raw, or with "
                             "register=False")
        resource: dict[str, Any] = {"type": resource_type, "status": IN_PROGRESS[request_type]}
        if physical_id is not None:
            resource["physical_id"] = physical_id
        return register_stack(self.endpoint, stack.stack_id, stack_status or IN_PROGRESS[request_type],
                              {logical_id: resource})

    def event(self, request_type: str, resource_type: str, logical_id: str, properties: dict, stack: Stack,
              old_properties: dict | None = None, physical_id: str | None = None,
              request_id: str | None = None) -> dict:
        request_id = request_id or str(uuid.uuid4())
        event = {
            "RequestType": request_type,
            "ServiceToken": self.function_arn,
            "ResponseURL": self.receiver.url(request_id),
            "StackId": stack.stack_id,
            "RequestId": request_id,
            "LogicalResourceId": logical_id,
            "ResourceType": resource_type,
            "ResourceProperties": cfn_strings({"ServiceToken": self.function_arn, **properties}),
        }
        if physical_id is not None:
            event["PhysicalResourceId"] = physical_id
        if old_properties is not None:
            event["OldResourceProperties"] = cfn_strings({"ServiceToken": self.function_arn, **old_properties})
        return event

    def logs(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def peak_memory_bytes(self) -> int:
        """The process's peak resident memory so far (VmHWM)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        kib = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
        return int(kib) * 1024

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.runtime.close()
        self.receiver.close()
        self._log.close()
