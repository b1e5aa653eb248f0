"""Fault injection, call log and control API: a WSGI middleware in front of moto.

Only the standard library is used here, so the module can be imported (and
unit-tested) without moto. CloudFormation calls never reach moto: cloudformation.py
answers them from the stacks registered through the control API.
"""

from __future__ import annotations

import collections
import datetime
import io
import itertools
import json
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

from . import cloudformation

CONTROL_PREFIX = "/_localaws"

# X-Amz-Target prefix -> service name used in fault specs and the call log.
TARGET_SERVICES = {"TrentService": "kms", "AmazonSSM": "ssm"}
# STS, like CloudFormation, speaks the query protocol (Action=AssumeRole in a form body); moto answers it.
STS = "sts"
QUERY_SERVICES = (cloudformation.SERVICE, STS)
SERVICES = ("kms", "ssm", cloudformation.SERVICE, STS)

DEFAULT_HANG_SECONDS = 60.0
MAX_HANG_SECONDS = 300.0
MAX_LATENCY_MS = 60_000
MAX_CALL_LOG = 20_000

# The 5xx error code each service models for "internal failure, retry" (CloudFormation: the query
# protocol's common InternalFailure).
INTERNAL_ERROR_CODES = {"kms": "KMSInternalException", "ssm": "InternalServerError",
                        cloudformation.SERVICE: "InternalFailure", STS: "InternalFailure"}
# The error code each service throttles with (every AWS SDK retries these).
THROTTLING_CODES = {"kms": "ThrottlingException", "ssm": "ThrottlingException", cloudformation.SERVICE: "Throttling",
                    STS: "Throttling"}
# The error code each service refuses a caller with (403): `deny`, e.g. a role whose trust policy does
# not name the caller (moto does not check trust policies).
ACCESS_DENIED_CODES = {"kms": "AccessDeniedException", "ssm": "AccessDeniedException",
                       cloudformation.SERVICE: "AccessDenied", STS: "AccessDenied"}
EXPIRATION = re.compile(rb"<Expiration>[^<]*</Expiration>")

# KMS's default request quotas, in calls a second per account and region, of the operations the
# provider calls (AWS KMS Developer Guide, "Request quotas"). Each operation has its own quota.
# DeleteAlias, PutKeyPolicy and ScheduleKeyDeletion: AWS now lists 15; 5 is the earlier default, which
# some accounts still have, and the stricter test.
KMS_DEFAULT_QUOTAS = {
    "CancelKeyDeletion": 5, "CreateAlias": 5, "DeleteAlias": 5, "DescribeKey": 2000, "DisableKey": 5,
    "EnableKey": 5, "GetKeyPolicy": 1000, "ListResourceTags": 2000, "PutKeyPolicy": 5, "ReplicateKey": 5,
    "ScheduleKeyDeletion": 5, "TagResource": 10, "UntagResource": 5, "UpdateAlias": 5, "UpdateKeyDescription": 5,
}

FAULT_KEYS = {
    "service",
    "operations",
    "regions",
    "throttle",
    "error_5xx",
    "error_code",
    "status",
    "latency_ms",
    "hang",
    "hang_seconds",
    "tps",
    "quotas",
    "deny",
    "session_seconds",
}


class FaultSpecError(ValueError):
    pass


def parse_request(environ: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(service, region, operation) of an AWS JSON-protocol request, else Nones.

    Service and operation come from X-Amz-Target (TrentService.ReplicateKey,
    AmazonSSM.PutParameter); the region from the SigV4 credential scope
    (Credential=AKID/20240101/us-east-1/kms/aws4_request). Without X-Amz-Target the
    service is the scope's (a query-protocol request's operation is in its body).
    """
    service = operation = region = None
    target = environ.get("HTTP_X_AMZ_TARGET") or ""
    if "." in target:
        prefix, operation = target.split(".", 1)
        service = TARGET_SERVICES.get(prefix, prefix.lower())
    auth = environ.get("HTTP_AUTHORIZATION") or ""
    marker = "Credential="
    if marker in auth:
        scope = auth.split(marker, 1)[1].split(",", 1)[0].strip()
        parts = scope.split("/")
        if len(parts) >= 5:
            region = parts[-3]
            if service is None:
                service = parts[-2].lower()
    return service, region, operation


class FaultSpec:
    _ids = itertools.count(1)

    def __init__(self, raw: dict[str, Any]):
        if not isinstance(raw, dict):
            raise FaultSpecError("a fault spec must be a JSON object")
        unknown = set(raw) - FAULT_KEYS
        if unknown:
            raise FaultSpecError(f"unknown fault keys: {sorted(unknown)} (known: {sorted(FAULT_KEYS)})")
        self.service = raw.get("service")
        if self.service not in SERVICES:
            raise FaultSpecError(f"'service' must be one of {SERVICES}")
        self.operations = self._str_list(raw, "operations")
        self.regions = self._str_list(raw, "regions")
        self.throttle = self._count(raw, "throttle")
        self.error_5xx = self._count(raw, "error_5xx")
        self.hang = self._count(raw, "hang")
        self.error_code = str(raw.get("error_code") or INTERNAL_ERROR_CODES[self.service])
        self.status = int(raw.get("status", 500))
        if not 500 <= self.status <= 599:
            raise FaultSpecError("'status' must be a 5xx code")
        self.latency_ms = float(raw.get("latency_ms", 0) or 0)
        if not 0 <= self.latency_ms <= MAX_LATENCY_MS:
            raise FaultSpecError(f"'latency_ms' must be within 0..{MAX_LATENCY_MS}")
        self.hang_seconds = float(raw.get("hang_seconds", DEFAULT_HANG_SECONDS))
        if not 0 <= self.hang_seconds <= MAX_HANG_SECONDS:
            raise FaultSpecError(f"'hang_seconds' must be within 0..{MAX_HANG_SECONDS}")
        tps = raw.get("tps")
        self.tps = None if tps is None else float(tps)
        if self.tps is not None and self.tps <= 0:
            raise FaultSpecError("'tps' must be > 0")
        self.quotas = self._quotas(raw)
        self.deny = self._count(raw, "deny")
        session = raw.get("session_seconds")
        self.session_seconds = None if session is None else float(session)
        if self.session_seconds is not None and (self.service != STS or self.session_seconds <= 0):
            raise FaultSpecError("'session_seconds' (AssumeRole's credentials expire that soon) is for sts, > 0")
        if not (self.throttle or self.error_5xx or self.hang or self.latency_ms or self.tps or self.quotas
                or self.deny or self.session_seconds):
            raise FaultSpecError(
                "a fault spec needs one of throttle, error_5xx, latency_ms, hang, tps, quotas, deny, session_seconds")
        self.id = next(self._ids)
        # token buckets: region (tps) or (region, operation) (quotas) -> [tokens, last_refill]
        self._buckets: dict[Any, list[float]] = {}
        self.hits = 0

    @staticmethod
    def _str_list(raw: dict[str, Any], name: str) -> list[str] | None:
        value = raw.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise FaultSpecError(f"'{name}' must be a list of strings")
        return value

    @staticmethod
    def _quotas(raw: dict[str, Any]) -> dict[str, float] | None:
        value = raw.get("quotas")
        if value is None:
            return None
        if (not isinstance(value, dict) or not value
                or not all(isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0
                           for k, v in value.items())):
            raise FaultSpecError("'quotas' must map operation names to calls a second (> 0)")
        return {operation: float(rate) for operation, rate in value.items()}

    @staticmethod
    def _count(raw: dict[str, Any], name: str) -> int:
        value = raw.get(name, 0) or 0
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise FaultSpecError(f"'{name}' must be a non-negative integer")
        return value

    def matches(self, service: str | None, region: str | None, operation: str | None) -> bool:
        if service != self.service:
            return False
        if self.operations is not None and operation not in self.operations:
            return False
        return not (self.regions is not None and region not in self.regions)

    def take_token(self, region: str | None, now: float) -> bool:
        """Token bucket per region, capacity max(1, tps), refilled at tps per second."""
        assert self.tps is not None
        return self._take(region, self.tps, now)

    def over_quota(self, region: str | None, operation: str | None, now: float) -> bool:
        """`quotas`: a token bucket per region and listed operation, as `tps` is per region; True when the
        call finds no token. An operation not listed has no quota."""
        assert self.quotas is not None
        rate = self.quotas.get(operation or "")
        return rate is not None and not self._take((region, operation), rate, now)

    def _take(self, key: Any, rate: float, now: float) -> bool:
        """Takes a token from the bucket `key` (capacity max(1, rate), refilled at rate per second)."""
        capacity = max(1.0, rate)
        bucket = self._buckets.setdefault(key, [capacity, now])
        bucket[0] = min(capacity, bucket[0] + (now - bucket[1]) * rate)
        bucket[1] = now
        if bucket[0] >= 1.0:
            bucket[0] -= 1.0
            return True
        return False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "service": self.service,
            "operations": self.operations,
            "regions": self.regions,
            "throttle": self.throttle,
            "error_5xx": self.error_5xx,
            "error_code": self.error_code,
            "status": self.status,
            "latency_ms": self.latency_ms,
            "hang": self.hang,
            "hang_seconds": self.hang_seconds,
            "tps": self.tps,
            "quotas": self.quotas,
            "deny": self.deny,
            "session_seconds": self.session_seconds,
            "hits": self.hits,
        }


class Decision:
    def __init__(self) -> None:
        self.sleep = 0.0
        self.hang = 0.0
        self.error: tuple[int, str, str] | None = None  # (status, code, message)
        self.fault: str | None = None
        self.session_seconds: float | None = None


class FaultInjector:
    """Thread-safe registry of fault specs and the call log."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._specs: list[FaultSpec] = []
        self._calls: collections.deque[dict[str, Any]] = collections.deque(maxlen=MAX_CALL_LOG)
        self._seq = itertools.count(1)
        # Set on clear()/shutdown so hung calls return early.
        self._release = threading.Event()

    # -- specs --
    def add(self, raws: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        specs = [FaultSpec(raw) for raw in raws]  # validate all before adding any
        with self._lock:
            if self._release.is_set():
                self._release = threading.Event()
            self._specs.extend(specs)
        return [s.to_json() for s in specs]

    def clear(self) -> None:
        with self._lock:
            self._specs.clear()
            self._release.set()

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [s.to_json() for s in self._specs]

    def release_all(self) -> None:
        self._release.set()

    # -- decisions --
    def decide(self, service: str | None, region: str | None, operation: str | None) -> tuple[Decision, threading.Event]:
        d = Decision()
        now = time.monotonic()
        with self._lock:
            release = self._release
            for spec in self._specs:
                if not spec.matches(service, region, operation):
                    continue
                spec.hits += 1
                d.sleep += spec.latency_ms / 1000.0
                if spec.hang > 0 and d.hang == 0.0:
                    spec.hang -= 1
                    d.hang = spec.hang_seconds
                    d.fault = d.fault or "hang"
                if d.error is not None:
                    continue
                if spec.tps is not None and not spec.take_token(region, now):
                    d.error = (400, THROTTLING_CODES[spec.service], "Rate exceeded")
                    d.fault = "tps"
                elif spec.quotas is not None and spec.over_quota(region, operation, now):
                    d.error = (400, THROTTLING_CODES[spec.service], "Rate exceeded")
                    d.fault = "quota"
                elif spec.throttle > 0:
                    spec.throttle -= 1
                    d.error = (400, THROTTLING_CODES[spec.service], "Rate exceeded")
                    d.fault = "throttle"
                elif spec.error_5xx > 0:
                    spec.error_5xx -= 1
                    d.error = (spec.status, spec.error_code, "Injected internal failure (localaws)")
                    d.fault = "error_5xx"
                elif spec.deny > 0:
                    spec.deny -= 1
                    d.error = (403, ACCESS_DENIED_CODES[spec.service],
                               f"the caller is not authorized to perform {spec.service}:{operation} (localaws)")
                    d.fault = "deny"
                if spec.session_seconds is not None and d.session_seconds is None:
                    d.session_seconds = spec.session_seconds
                    d.fault = d.fault or "session"
            if d.fault is None and d.sleep:
                d.fault = "latency"
        return d, release

    # -- call log --
    def log_call(self, entry: dict[str, Any]) -> None:
        with self._lock:
            entry["seq"] = next(self._seq)
            self._calls.append(entry)

    def calls(self, service: str | None = None, region: str | None = None, operation: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            out = list(self._calls)
        return [
            c
            for c in out
            if (service is None or c["service"] == service)
            and (region is None or c["region"] == region)
            and (operation is None or c["operation"] == operation)
        ]

    def clear_calls(self) -> None:
        with self._lock:
            self._calls.clear()


def _expiring_in(seconds: float, app: Callable, environ: dict[str, Any], start_response: Callable) -> list[bytes]:
    """Moto's AssumeRole answer with credentials that expire `seconds` from now."""
    held: list[Any] = []
    body = b"".join(app(environ, lambda status, headers, exc_info=None: held.append((status, headers))))
    expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=seconds)
    stamp = expires.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    body = EXPIRATION.sub(b"<Expiration>" + stamp + b"</Expiration>", body)
    status, headers = held[0]
    headers = [(k, v) for k, v in headers if k.lower() != "content-length"] + [("Content-Length", str(len(body)))]
    start_response(status, headers)
    return [body]


def _json_response(start_response: Callable, status: int, payload: Any, content_type: str = "application/json") -> list[bytes]:
    body = json.dumps(payload).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}.get(status, "Error")
    start_response(
        f"{status} {reason}",
        [("Content-Type", content_type), ("Content-Length", str(len(body)))],
    )
    return [body]


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ.get("wsgi.input")
    if stream is None or length <= 0:
        return b""
    return stream.read(length)


class LocalAwsMiddleware:
    """WSGI app: control API under /_localaws/, faults + call log for AWS calls, CloudFormation's
    answers from the registered stacks."""

    def __init__(
        self,
        app: Callable,
        injector: FaultInjector,
        get_config: Callable[[], dict[str, Any]],
        set_config: Callable[..., dict[str, Any]],
        info: dict[str, Any] | None = None,
        stacks: cloudformation.Stacks | None = None,
    ) -> None:
        self.app = app
        self.injector = injector
        self.get_config = get_config
        self.set_config = set_config
        self.info = info or {}
        self.stacks = stacks if stacks is not None else cloudformation.Stacks()

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or ""
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            return self._control(environ, start_response, path[len(CONTROL_PREFIX):] or "/")
        service, region, operation = parse_request(environ)
        is_cloudformation = service == cloudformation.SERVICE
        is_query = service in QUERY_SERVICES
        if not is_query and (service is None or operation is None):
            return self.app(environ, start_response)  # moto-api, S3-style, ...

        started = time.perf_counter()
        # Read the body up front so a short-circuited reply leaves the
        # keep-alive connection in a clean state; moto gets a fresh stream.
        body = _read_body(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        params: dict[str, str] = {}
        if is_query:  # the query protocol: Action=DescribeStacks&... in a form body
            params = cloudformation.form_params(environ, body)
            operation = params.get("Action")
        decision, release = self.injector.decide(service, region, operation)
        entry: dict[str, Any] = {
            "service": service,
            "region": region,
            "operation": operation,
            "time": time.time(),
            "fault": decision.fault,
            "status": None,
        }
        self.injector.log_call(entry)
        if decision.sleep:
            time.sleep(decision.sleep)
        if decision.hang:
            release.wait(decision.hang)
        if decision.error is not None:
            status, code, message = decision.error
            entry["status"] = status
            if is_query:
                request_id = cloudformation.new_request_id()
                return cloudformation.xml_response(
                    start_response, status, cloudformation.error_body(code, message, request_id, status), request_id)
            payload = json.dumps({"__type": code, "message": message}).encode()
            start_response(
                f"{status} {'Bad Request' if status == 400 else 'Internal Server Error'}",
                [
                    ("Content-Type", "application/x-amz-json-1.1"),
                    ("Content-Length", str(len(payload))),
                    ("x-amzn-ErrorType", code),
                    ("x-amzn-RequestId", f"localaws-{entry['seq']}"),
                ],
            )
            return [payload]

        def recording_start_response(status: str, headers: list, exc_info: Any = None) -> Any:
            try:
                entry["status"] = int(status.split(" ", 1)[0])
            except ValueError:
                pass
            entry["ms"] = round((time.perf_counter() - started) * 1000, 3)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        if is_cloudformation:
            request_id = cloudformation.new_request_id()
            status, answer = self.stacks.answer(params, region, request_id)
            return cloudformation.xml_response(recording_start_response, status, answer, request_id)
        if decision.session_seconds is not None:
            return _expiring_in(decision.session_seconds, self.app, environ, recording_start_response)
        return self.app(environ, recording_start_response)

    # -- control API --
    def _control(self, environ: dict[str, Any], start_response: Callable, sub: str) -> list[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING") or "")
        raw = _read_body(environ)
        try:
            payload = json.loads(raw) if raw.strip() else None
        except ValueError as exc:
            return _json_response(start_response, 400, {"error": f"invalid JSON: {exc}"})
        sub = sub.rstrip("/") or "/"
        try:
            if sub in ("/", "/health") and method == "GET":
                return _json_response(start_response, 200, {"ok": True, **self.info})
            if sub == "/faults":
                if method == "GET":
                    return _json_response(start_response, 200, {"faults": self.injector.list()})
                if method == "POST":
                    if isinstance(payload, dict) and "faults" in payload:
                        specs = payload["faults"]
                    elif isinstance(payload, list):
                        specs = payload
                    else:
                        specs = [payload]
                    if isinstance(payload, dict) and payload.get("replace"):
                        self.injector.clear()
                    added = self.injector.add(specs)
                    return _json_response(start_response, 200, {"added": added, "faults": self.injector.list()})
                if method == "DELETE":
                    self.injector.clear()
                    return _json_response(start_response, 200, {"faults": []})
            if sub == "/faults/clear" and method == "POST":
                self.injector.clear()
                return _json_response(start_response, 200, {"faults": []})
            if sub == "/config":
                if method == "GET":
                    return _json_response(start_response, 200, self.get_config())
                if method == "POST":
                    if not isinstance(payload, dict):
                        raise FaultSpecError("config body must be a JSON object")
                    return _json_response(start_response, 200, self.set_config(**payload))
            if sub == "/calls":
                if method == "GET":
                    one = {k: (v[0] if v else None) for k, v in query.items()}
                    calls = self.injector.calls(one.get("service"), one.get("region"), one.get("operation"))
                    return _json_response(start_response, 200, {"calls": calls})
                if method == "DELETE":
                    self.injector.clear_calls()
                    return _json_response(start_response, 200, {"calls": []})
            if sub == "/calls/clear" and method == "POST":
                self.injector.clear_calls()
                return _json_response(start_response, 200, {"calls": []})
            if sub == "/stacks":
                if method == "GET":
                    return _json_response(start_response, 200, {"stacks": self.stacks.list()})
                if method == "POST":
                    return _json_response(start_response, 200, {"stack": self.stacks.register(payload)})
                if method == "DELETE":
                    self.stacks.clear()
                    return _json_response(start_response, 200, {"stacks": []})
            if sub == "/stacks/clear" and method == "POST":
                self.stacks.clear()
                return _json_response(start_response, 200, {"stacks": []})
        except (FaultSpecError, ValueError, TypeError) as exc:
            return _json_response(start_response, 400, {"error": str(exc)})
        return _json_response(start_response, 404, {"error": f"no control endpoint {method} {CONTROL_PREFIX}{sub}"})
