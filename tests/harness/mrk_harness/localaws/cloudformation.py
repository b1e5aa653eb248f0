"""CloudFormation in the local AWS: DescribeStacks and DescribeStackResource, answered from stacks that
tests register through the control API (`POST /_localaws/stacks`).

moto's CloudFormation only knows stacks it deploys itself, and never one in the middle of an operation,
which is the only kind a custom resource's event comes from. Here a stack is what a test says it is: an
ARN, a status, and resources (logical id, type, status, optional physical id). The answers are AWS's
query protocol (form-encoded POST in, XML out) as the AWS SDKs read it.

Only the standard library is used here, so the module can be imported (and unit-tested) without moto.
"""

from __future__ import annotations

import re
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable
from xml.sax.saxutils import escape

SERVICE = "cloudformation"
NAMESPACE = "http://cloudformation.amazonaws.com/doc/2010-05-15/"
# moto's default account: the only account whose stacks a request can see.
ACCOUNT = "123456789012"
ACTIONS = ("DescribeStacks", "DescribeStackResource")

# The StackStatus and ResourceStatus enums of the CloudFormation API (botocore's model, 2010-05-15).
STACK_STATUSES = frozenset({
    "CREATE_IN_PROGRESS", "CREATE_FAILED", "CREATE_COMPLETE", "ROLLBACK_IN_PROGRESS", "ROLLBACK_FAILED",
    "ROLLBACK_COMPLETE", "DELETE_IN_PROGRESS", "DELETE_FAILED", "DELETE_COMPLETE", "UPDATE_IN_PROGRESS",
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_COMPLETE", "UPDATE_FAILED", "UPDATE_ROLLBACK_IN_PROGRESS",
    "UPDATE_ROLLBACK_FAILED", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE",
    "REVIEW_IN_PROGRESS", "IMPORT_IN_PROGRESS", "IMPORT_COMPLETE", "IMPORT_ROLLBACK_IN_PROGRESS",
    "IMPORT_ROLLBACK_FAILED", "IMPORT_ROLLBACK_COMPLETE",
})
RESOURCE_STATUSES = frozenset({
    "CREATE_IN_PROGRESS", "CREATE_FAILED", "CREATE_COMPLETE", "DELETE_IN_PROGRESS", "DELETE_FAILED",
    "DELETE_COMPLETE", "DELETE_SKIPPED", "UPDATE_IN_PROGRESS", "UPDATE_FAILED", "UPDATE_COMPLETE",
    "IMPORT_FAILED", "IMPORT_COMPLETE", "IMPORT_IN_PROGRESS", "IMPORT_ROLLBACK_IN_PROGRESS",
    "IMPORT_ROLLBACK_FAILED", "IMPORT_ROLLBACK_COMPLETE", "EXPORT_FAILED", "EXPORT_COMPLETE",
    "EXPORT_IN_PROGRESS", "EXPORT_ROLLBACK_IN_PROGRESS", "EXPORT_ROLLBACK_FAILED", "EXPORT_ROLLBACK_COMPLETE",
    "UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED", "ROLLBACK_IN_PROGRESS",
    "ROLLBACK_COMPLETE", "ROLLBACK_FAILED",
})
DELETE_COMPLETE = "DELETE_COMPLETE"

# arn:aws:cloudformation:us-east-1:123456789012:stack/NAME/UUID. A stack name starts with a letter and has
# only letters, digits and hyphens, at most 128 characters.
STACK_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):cloudformation:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+):(?P<account>\d{12}):"
    r"stack/(?P<name>[A-Za-z][A-Za-z0-9-]{0,127})/(?P<uuid>[A-Za-z0-9-]{1,64})$")
# A logical id in a template is alphanumeric.
LOGICAL_ID = re.compile(r"^[A-Za-z0-9]{1,255}$")
MAX_VISIBLE_AFTER_SECONDS = 3600.0
STACK_KEYS = {"stack_id", "status", "resources"}
RESOURCE_KEYS = {"type", "status", "physical_id", "visible_after_seconds"}


class StackSpecError(ValueError):
    """A control-API body that does not describe a stack."""


@dataclass
class Resource:
    """One resource of a registered stack, as DescribeStackResource reports it."""

    logical_id: str
    type: str
    status: str
    physical_id: str | None
    registered_at: float  # epoch seconds of the registration that set this entry
    visible_after_seconds: float = 0.0

    def visible(self, now: float) -> bool:
        return now >= self.registered_at + self.visible_after_seconds

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "status": self.status, "physical_id": self.physical_id,
                "visible_after_seconds": self.visible_after_seconds, "registered_at": self.registered_at}


@dataclass
class Stack:
    """A registered stack: what DescribeStacks reports, and its resources."""

    stack_id: str
    name: str
    region: str
    account: str
    status: str
    created_at: float  # epoch seconds of the first registration
    resources: dict[str, Resource] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"stack_id": self.stack_id, "stack_name": self.name, "region": self.region, "account": self.account,
                "status": self.status, "creation_time": self.created_at,
                "resources": {logical: r.to_json() for logical, r in self.resources.items()}}


class CloudFormationError(Exception):
    """An error answer of the query protocol: HTTP status, code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def does_not_exist(message: str) -> CloudFormationError:
    return CloudFormationError(400, "ValidationError", message)


def _timestamp(epoch: float) -> str:
    """An ISO 8601 UTC timestamp with milliseconds, as CloudFormation writes them."""
    moment = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _element(name: str, value: str | None) -> str:
    return "" if value is None else f"<{name}>{escape(value)}</{name}>"


def error_body(code: str, message: str, request_id: str, status: int = 400) -> bytes:
    """The query protocol's error document. `Type` is Sender for a 4xx, Receiver for a 5xx."""
    kind = "Sender" if status < 500 else "Receiver"
    return (f'<ErrorResponse xmlns="{NAMESPACE}"><Error><Type>{kind}</Type>{_element("Code", code)}'
            f'{_element("Message", message)}</Error>{_element("RequestId", request_id)}</ErrorResponse>').encode()


def _response(action: str, result: str, request_id: str) -> bytes:
    return (f'<{action}Response xmlns="{NAMESPACE}"><{action}Result>{result}</{action}Result>'
            f'<ResponseMetadata>{_element("RequestId", request_id)}</ResponseMetadata></{action}Response>').encode()


def form_params(environ: dict[str, Any], body: bytes) -> dict[str, str]:
    """A query-protocol request's parameters: the query string, then the form-encoded body (first value of
    each name)."""
    params: dict[str, str] = {}
    for source in (environ.get("QUERY_STRING") or "", body.decode("utf-8", errors="replace")):
        for name, value in urllib.parse.parse_qsl(source, keep_blank_values=True):
            params.setdefault(name, value)
    return params


class Stacks:
    """The registered stacks (thread-safe), and the CloudFormation actions answered from them."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._stacks: dict[str, Stack] = {}  # by stack id, in registration order
        self._clock = clock

    # -- control API --
    def register(self, raw: Any) -> dict[str, Any]:
        """Upserts one stack from a control-API body; returns the stack as it now is."""
        if not isinstance(raw, dict):
            raise StackSpecError("a stack must be a JSON object")
        unknown = set(raw) - STACK_KEYS
        if unknown:
            raise StackSpecError(f"unknown stack keys: {sorted(unknown)} (known: {sorted(STACK_KEYS)})")
        stack_id = raw.get("stack_id")
        match = STACK_ARN.match(stack_id) if isinstance(stack_id, str) else None
        if match is None:
            raise StackSpecError("'stack_id' must be a stack ARN: arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/ID,"
                                 " NAME a letter then letters, digits or hyphens (at most 128)")
        status = raw.get("status")
        if status is not None and status not in STACK_STATUSES:
            raise StackSpecError(f"'status' {status!r} is not a CloudFormation stack status")
        now = self._clock()
        resources = self._resources(raw.get("resources"), now)
        with self._lock:
            stack = self._stacks.get(stack_id)
            if stack is None:
                if status is None:
                    raise StackSpecError(f"'status' is required for a new stack ({stack_id})")
                stack = Stack(stack_id, match["name"], match["region"], match["account"], status, now)
            if (status or stack.status) != DELETE_COMPLETE:
                for other in self._stacks.values():
                    if (other is not stack and other.status != DELETE_COMPLETE and other.name == stack.name
                            and other.region == stack.region and other.account == stack.account):
                        raise StackSpecError(
                            f"a stack named {stack.name} is already registered in {stack.region} and not "
                            f"{DELETE_COMPLETE} ({other.stack_id}); as in CloudFormation, a name is reused only "
                            f"once the stack that had it is {DELETE_COMPLETE}")
            stack.status = status or stack.status
            for logical_id, resource in resources.items():
                if resource is None:
                    stack.resources.pop(logical_id, None)
                else:
                    stack.resources[logical_id] = resource
            self._stacks[stack_id] = stack
            return stack.to_json()

    @staticmethod
    def _resources(raw: Any, now: float) -> dict[str, Resource | None]:
        """The `resources` of a control-API body: logical id → a resource, or None to remove it."""
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            raise StackSpecError("'resources' must be a JSON object: logical id -> resource (or null)")
        out: dict[str, Resource | None] = {}
        for logical_id, spec in raw.items():
            if not LOGICAL_ID.match(logical_id):
                raise StackSpecError(f"logical id {logical_id!r} is not alphanumeric (at most 255 characters)")
            if spec is None:
                out[logical_id] = None
                continue
            if not isinstance(spec, dict):
                raise StackSpecError(f"resource {logical_id} must be a JSON object or null")
            unknown = set(spec) - RESOURCE_KEYS
            if unknown:
                raise StackSpecError(
                    f"unknown keys of resource {logical_id}: {sorted(unknown)} (known: {sorted(RESOURCE_KEYS)})")
            resource_type, status = spec.get("type"), spec.get("status")
            if not isinstance(resource_type, str) or not 0 < len(resource_type) <= 256:
                raise StackSpecError(f"resource {logical_id} needs a 'type' such as Custom::ReplicaKey")
            if status not in RESOURCE_STATUSES:
                raise StackSpecError(f"resource {logical_id} needs a 'status' that is a CloudFormation resource "
                                     f"status, such as CREATE_IN_PROGRESS (got {status!r})")
            physical_id = spec.get("physical_id")
            if physical_id is not None and (not isinstance(physical_id, str) or not physical_id):
                raise StackSpecError(f"'physical_id' of resource {logical_id} must be a non-empty string")
            lag = spec.get("visible_after_seconds", 0)
            if isinstance(lag, bool) or not isinstance(lag, (int, float)) or not 0 <= lag <= MAX_VISIBLE_AFTER_SECONDS:
                raise StackSpecError(f"'visible_after_seconds' of resource {logical_id} must be a number within "
                                     f"0..{MAX_VISIBLE_AFTER_SECONDS:g}")
            out[logical_id] = Resource(logical_id, resource_type, status, physical_id, now, float(lag))
        return out

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [s.to_json() for s in self._stacks.values()]

    def clear(self) -> None:
        with self._lock:
            self._stacks.clear()

    # -- CloudFormation --
    def answer(self, params: dict[str, str], region: str | None, request_id: str) -> tuple[int, bytes]:
        """(HTTP status, XML body) for one query-protocol request made in `region`."""
        action = params.get("Action") or ""
        try:
            if action == "DescribeStacks":
                result = self._describe_stacks(params.get("StackName"), region)
            elif action == "DescribeStackResource":
                result = self._describe_stack_resource(params, region)
            else:
                raise CloudFormationError(
                    400, "InvalidAction",
                    f"the local AWS does not emulate CloudFormation's {action or '(no Action)'}: only "
                    f"{' and '.join(ACTIONS)}")
        except CloudFormationError as error:
            return error.status, error_body(error.code, error.message, request_id, error.status)
        return 200, _response(action, result, request_id)

    def _find(self, stack_name: str, region: str | None) -> Stack | None:
        """The stack that `stack_name` (a name or a stack ARN) names for a caller of ACCOUNT in `region`: by ARN
        in any status, by name only one that is not DELETE_COMPLETE."""
        with self._lock:
            if stack_name.startswith("arn:"):
                stack = self._stacks.get(stack_name)
                if stack is not None and stack.account == ACCOUNT and stack.region == region:
                    return stack
                return None
            for stack in self._stacks.values():
                if (stack.name == stack_name and stack.region == region and stack.account == ACCOUNT
                        and stack.status != DELETE_COMPLETE):
                    return stack
            return None

    def _describe_stacks(self, stack_name: str | None, region: str | None) -> str:
        if stack_name is None:  # every stack of the region that is not deleted
            with self._lock:
                found = [s for s in self._stacks.values()
                         if s.region == region and s.account == ACCOUNT and s.status != DELETE_COMPLETE]
        else:
            stack = self._find(stack_name, region)
            if stack is None:
                raise does_not_exist(f"Stack with id {stack_name} does not exist")
            found = [stack]
        members = "".join(
            f"<member>{_element('StackName', s.name)}{_element('StackId', s.stack_id)}"
            f"{_element('CreationTime', _timestamp(s.created_at))}{_element('StackStatus', s.status)}</member>"
            for s in found)
        return f"<Stacks>{members}</Stacks>"

    def _describe_stack_resource(self, params: dict[str, str], region: str | None) -> str:
        stack_name, logical_id = params.get("StackName"), params.get("LogicalResourceId")
        missing = [name for name, value in (("stackName", stack_name), ("logicalResourceId", logical_id))
                   if value is None]
        if missing:
            raise CloudFormationError(
                400, "ValidationError",
                f"{len(missing)} validation error{'s' if len(missing) > 1 else ''} detected: "
                + "; ".join(f"Value null at '{name}' failed to satisfy constraint: Member must not be null"
                            for name in missing))
        assert stack_name is not None and logical_id is not None
        stack = self._find(stack_name, region)
        if stack is None:
            raise does_not_exist(f"Stack '{stack_name}' does not exist")
        with self._lock:
            resource = stack.resources.get(logical_id)
        if resource is None or not resource.visible(self._clock()):
            raise does_not_exist(f"Resource {logical_id} does not exist for stack {stack.name}")
        return ("<StackResourceDetail>"
                f"{_element('StackName', stack.name)}{_element('StackId', stack.stack_id)}"
                f"{_element('LogicalResourceId', resource.logical_id)}"
                f"{_element('PhysicalResourceId', resource.physical_id)}{_element('ResourceType', resource.type)}"
                f"{_element('LastUpdatedTimestamp', _timestamp(resource.registered_at))}"
                f"{_element('ResourceStatus', resource.status)}"
                "</StackResourceDetail>")


def new_request_id() -> str:
    return str(uuid.uuid4())


def xml_response(start_response: Callable, status: int, body: bytes, request_id: str) -> Iterable[bytes]:
    """Sends a query-protocol answer: text/xml, with the request id header AWS sets."""
    reason = {200: "OK", 400: "Bad Request"}.get(status, "Internal Server Error" if status >= 500 else "Error")
    start_response(f"{status} {reason}", [("Content-Type", "text/xml"), ("Content-Length", str(len(body))),
                                          ("x-amzn-RequestId", request_id)])
    return [body]
