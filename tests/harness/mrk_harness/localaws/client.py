"""Python API for tests: start ``python -m mrk_harness.localaws`` as a subprocess and talk
to it (boto3 clients, fault injection, config, call log, CloudFormation stacks, reset)."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

READY_PREFIX = "LOCALAWS_READY"

DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}

# No proxy may ever see our traffic: urllib ignores *_PROXY env vars with this.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class LocalAwsError(RuntimeError):
    pass


def request(endpoint: str, method: str, path: str, data: bytes | None = None) -> bytes:
    """One HTTP request to the local AWS at `endpoint` (JSON `data`, if any); the answer's body."""
    req = urllib.request.Request(endpoint + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with _OPENER.open(req, timeout=10) as resp:
            return resp.read()
    except urllib.error.HTTPError as exc:
        raise LocalAwsError(f"{method} {path}: HTTP {exc.code}: {exc.read().decode(errors='replace')}") from exc


def register_stack(endpoint: str, stack_id: str, status: str | None = None,
                   resources: dict[str, dict[str, Any] | None] | None = None) -> dict[str, Any]:
    """Registers (upserts) a CloudFormation stack at the local AWS at `endpoint`, for its DescribeStacks and
    DescribeStackResource: `status` (required for a new stack) and `resources`, merged by logical id
    (``{"Keys": {"type": "Custom::ReplicaKey", "status": "CREATE_IN_PROGRESS"}}``; ``None`` removes one).
    Returns the stack as the local AWS now has it. One local HTTP call, for callers without a `LocalAws`."""
    payload: dict[str, Any] = {"stack_id": stack_id}
    if status is not None:
        payload["status"] = status
    if resources is not None:
        payload["resources"] = resources
    return json.loads(request(endpoint, "POST", "/_localaws/stacks", json.dumps(payload).encode()))["stack"]


class LocalAws:
    """A local AWS (moto + fidelity + faults) in a subprocess.

    >>> with LocalAws(creating_seconds=1.0) as aws:
    ...     kms = aws.client("kms", "us-east-1")
    """

    def __init__(
        self,
        creating_seconds: float = 0.0,
        port: int = 0,
        startup_timeout: float = 30.0,
        stop_timeout: float = 10.0,
        python: str | None = None,
        verbose: bool = False,
        max_lifetime: float = 3600.0,
        fidelity: bool = True,
    ) -> None:
        self.creating_seconds = float(creating_seconds)
        self.port = int(port)
        self.startup_timeout = float(startup_timeout)
        self.stop_timeout = float(stop_timeout)
        self.python = python or sys.executable
        self.verbose = verbose
        self.max_lifetime = float(max_lifetime)
        self.fidelity = fidelity
        self.endpoint: str | None = None
        self.proc: subprocess.Popen[str] | None = None
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        self.log_path: Path | None = None
        self._stdout_thread: threading.Thread | None = None

    # ------------------------------------------------------------------ life
    def start(self) -> "LocalAws":
        if self.proc is not None:
            raise LocalAwsError("already started")
        self._tmpdir = tempfile.TemporaryDirectory(prefix="localaws-")
        self.log_path = Path(self._tmpdir.name) / "localaws.log"
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        env.update(DUMMY_CREDENTIALS)
        cmd = [
            self.python,
            "-m",
            "mrk_harness.localaws",
            "--port",
            str(self.port),
            "--creating-seconds",
            str(self.creating_seconds),
            "--parent-pid",
            str(os.getpid()),
            "--max-lifetime",
            str(self.max_lifetime),
        ]
        if self.verbose:
            cmd.append("--verbose")
        if not self.fidelity:
            cmd.append("--no-fidelity")
        log = open(self.log_path, "w")  # noqa: SIM115 - owned by the child
        try:
            self.proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env=env,
                cwd=self._tmpdir.name,  # the interpreter's installed mrk_harness, not whatever is in the cwd
            )
        finally:
            log.close()

        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:  # drain stdout for the child's whole life
            assert self.proc is not None and self.proc.stdout is not None
            for line in self.proc.stdout:
                lines.put(line)
            lines.put(None)

        self._stdout_thread = threading.Thread(target=pump, daemon=True)
        self._stdout_thread.start()
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=max(0.01, min(0.5, deadline - time.monotonic())))
            except queue.Empty:
                continue
            if line is None:
                break
            if line.startswith(READY_PREFIX):
                self.endpoint = line.split()[1].strip()
                return self
        self.stop()
        raise LocalAwsError(
            f"localaws did not print {READY_PREFIX} within {self.startup_timeout}s; log:\n{self.log_text()}"
        )

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=self.stop_timeout)
        if self._stdout_thread is not None:
            self._stdout_thread.join(timeout=2)
            self._stdout_thread = None
        if self._tmpdir is not None:
            self._last_log = self.log_text()
            self._tmpdir.cleanup()
            self._tmpdir = None
            self.log_path = None

    def __enter__(self) -> "LocalAws":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def log_text(self) -> str:
        if self.log_path is not None and self.log_path.exists():
            return self.log_path.read_text(errors="replace")
        return getattr(self, "_last_log", "")

    # ------------------------------------------------------------------ AWS
    def env(self, region: str = "us-east-1") -> dict[str, str]:
        """Environment variables pointing an AWS SDK (e.g. the Rust binary) here."""
        return {
            "AWS_ENDPOINT_URL": self._endpoint(),
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_EC2_METADATA_DISABLED": "true",
            **DUMMY_CREDENTIALS,
        }

    def client(self, service: str, region: str = "us-east-1", config: Any = None, **kwargs: Any) -> Any:
        """A boto3 client for ``service`` in ``region`` talking to this server."""
        import boto3
        from botocore.config import Config

        base = Config(proxies={})  # never use *_PROXY env vars: 127.0.0.1 only
        merged = base.merge(config) if config is not None else base
        return boto3.session.Session().client(
            service,
            region_name=region,
            endpoint_url=self._endpoint(),
            aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=DUMMY_CREDENTIALS["AWS_SESSION_TOKEN"],
            config=merged,
            **kwargs,
        )

    # -------------------------------------------------------------- control
    def faults(self, *specs: dict[str, Any], replace: bool = False, **spec: Any) -> list[dict[str, Any]]:
        """Add fault specs: ``aws.faults(service="kms", throttle=2)`` or
        ``aws.faults({...}, {...})``. Returns the added specs (with ids)."""
        all_specs = list(specs) + ([spec] if spec else [])
        if not all_specs:
            raise ValueError("no fault spec given")
        return self._control("POST", "/faults", {"faults": all_specs, "replace": replace})["added"]

    def list_faults(self) -> list[dict[str, Any]]:
        return self._control("GET", "/faults")["faults"]

    def clear_faults(self) -> None:
        self._control("POST", "/faults/clear", {})

    def configure(self, **config: Any) -> dict[str, Any]:
        """E.g. ``aws.configure(creating_seconds=2.0)``; returns the config."""
        return self._control("POST", "/config", config)

    def config(self) -> dict[str, Any]:
        return self._control("GET", "/config")

    def calls(self, service: str | None = None, region: str | None = None, operation: str | None = None) -> list[dict[str, Any]]:
        """The AWS call log: dicts with service, region, operation, time, fault, status, seq."""
        params = {k: v for k, v in (("service", service), ("region", region), ("operation", operation)) if v}
        query = "?" + "&".join(f"{k}={urllib.parse.quote(v)}" for k, v in params.items()) if params else ""
        return self._control("GET", "/calls" + query)["calls"]

    def clear_calls(self) -> None:
        self._control("POST", "/calls/clear", {})

    def register_stack(self, stack_id: str, status: str | None = None,
                       resources: dict[str, dict[str, Any] | None] | None = None) -> dict[str, Any]:
        """Registers (upserts) a CloudFormation stack: ``aws.register_stack(arn, "CREATE_IN_PROGRESS",
        {"Keys": {"type": "Custom::ReplicaKey", "status": "CREATE_IN_PROGRESS"}})``. See
        `register_stack` (module level) and README.md."""
        return register_stack(self._endpoint(), stack_id, status, resources)

    def stacks(self) -> list[dict[str, Any]]:
        """The registered stacks, in registration order."""
        return self._control("GET", "/stacks")["stacks"]

    def clear_stacks(self) -> None:
        self._control("POST", "/stacks/clear", {})

    def reset(self) -> None:
        """Reset all moto state (``POST /moto-api/reset``); faults, the call
        log and the registered stacks are cleared too, config is kept."""
        self._request("POST", "/moto-api/reset", b"")
        self.clear_faults()
        self.clear_calls()
        self.clear_stacks()

    # ------------------------------------------------------------- internals
    def _endpoint(self) -> str:
        if self.endpoint is None:
            raise LocalAwsError("not started")
        return self.endpoint

    def _control(self, method: str, path: str, payload: Any = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        body = self._request(method, "/_localaws" + path, data)
        return json.loads(body) if body else None

    def _request(self, method: str, path: str, data: bytes | None) -> bytes:
        return request(self._endpoint(), method, path, data)
