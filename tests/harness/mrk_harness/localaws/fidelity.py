"""Fidelity layer: monkeypatches moto 5.2.5's KMS multi-Region key support so
that it behaves like AWS KMS where mrk-provider depends on it.

``apply()`` must run in the launcher process before the server starts. Every
patch first checks that the moto internals it touches still exist; if one is
missing (moto changed), ``apply()`` raises :class:`FidelityPatchError` naming
the patch, so the launcher fails loudly at startup instead of serving a
silently unpatched moto.

What plain moto 5.2.5 did (measured with boto3 against the unpatched server,
see README.md) and what each patch restores is written on each patch below.
"""

from __future__ import annotations

import copy
import re
import uuid
import json
import sys
import threading
import time
from typing import Any, Callable

PINNED_MOTO_VERSION = "5.2.5"

# Runtime configuration, changed by --creating-seconds and POST /_localaws/config.
_config_lock = threading.Lock()
_config: dict[str, float] = {"creating_seconds": 0.0}

# Upper bound so a typo cannot leave replicas in Creating for hours.
MAX_CREATING_SECONDS = 600.0

APPLIED: list[str] = []
_replicate_lock = threading.Lock()


class FidelityPatchError(RuntimeError):
    """A moto internal that a fidelity patch relies on does not exist."""


def get_config() -> dict[str, float]:
    with _config_lock:
        return dict(_config)


def set_config(**values: Any) -> dict[str, float]:
    with _config_lock:
        for name, value in values.items():
            if name != "creating_seconds":
                raise ValueError(f"unknown config key {name!r} (known: creating_seconds)")
            seconds = float(value)
            if not 0.0 <= seconds <= MAX_CREATING_SECONDS:
                raise ValueError(f"creating_seconds must be within 0..{MAX_CREATING_SECONDS}")
            _config[name] = seconds
        return dict(_config)


def _require(obj: Any, name: str, patch: str) -> Any:
    if not hasattr(obj, name):
        raise FidelityPatchError(
            f"localaws fidelity patch {patch!r} cannot be applied: "
            f"{getattr(obj, '__name__', obj)!r} has no attribute {name!r} "
            f"(moto is not {PINNED_MOTO_VERSION} or its internals changed); "
            "update tests/harness/mrk_harness/localaws/fidelity.py"
        )
    return getattr(obj, name)


def _wrap(owner: Any, name: str, patch: str, make: Callable[[Any], Any]) -> None:
    original = _require(owner, name, patch)
    if getattr(original, "_localaws_patch", None) == patch:
        return  # already applied (apply() called twice)
    replacement = make(original)
    replacement._localaws_patch = patch
    replacement.__wrapped__ = original
    setattr(owner, name, replacement)


def apply() -> list[str]:
    """Apply every patch. Returns the names of the applied patches."""
    if APPLIED:
        return list(APPLIED)
    import moto
    from moto.kms import exceptions as kms_exceptions
    from moto.kms import models as kms_models
    from moto.kms import responses as kms_responses
    from moto.kms import utils as kms_utils

    version = getattr(moto, "__version__", "?")
    if version != PINNED_MOTO_VERSION:
        print(
            f"localaws: WARNING: moto {version} installed, fidelity patches were "
            f"written for {PINNED_MOTO_VERSION}",
            file=sys.stderr,
            flush=True,
        )

    ctx = _Ctx(kms_models, kms_responses, kms_utils, kms_exceptions)
    for patch in (
        _patch_mrk_key_id_format,
        _patch_creating_state,
        _patch_replicate_key,
        _patch_state_change_accepts_arn,
        _patch_deletion_responses,
        _patch_crypto_key_state_and_mrk_decrypt,
        _patch_update_primary_region,
    ):
        patch(ctx)
        APPLIED.append(patch.__name__.removeprefix("_patch_"))
    return list(APPLIED)


class _Ctx:
    def __init__(self, models: Any, responses: Any, utils: Any, exceptions: Any):
        self.models = models
        self.responses = responses
        self.utils = utils
        self.exceptions = exceptions
        self.Key = _require(models, "Key", "module")
        self.KmsBackend = _require(models, "KmsBackend", "module")
        self.KmsResponse = _require(responses, "KmsResponse", "module")
        self.kms_backends = _require(models, "kms_backends", "module")
        self.JsonRESTError = _require(exceptions, "JsonRESTError", "module")

    def error(self, code: str, message: str) -> Exception:
        return self.JsonRESTError(code, message)

    def invalid_state(self, key: Any, detail: str) -> Exception:
        return self.error("KMSInvalidStateException", f"{key.arn} is {detail}")


# --------------------------------------------------------------------------
# Multi-Region key id format
# --------------------------------------------------------------------------
def _patch_mrk_key_id_format(ctx: _Ctx) -> None:
    """Multi-Region key ids: "mrk-" followed by 32 hexadecimal digits, e.g.
    mrk-1234abcd12ab34cd56ef1234567890ab (KMS API reference, KeyId examples:
    "Key ID: mrk-1234abcd12ab34cd56ef1234567890ab"). moto 5.2.5 makes
    "mrk-" + a dashed UUID (40 characters), which no ARN validator written
    for AWS accepts. The id is now 36 characters, as in AWS.
    """
    patch = "mrk_key_id_format"
    _require(ctx.utils, "generate_key_id", patch)

    def make(original: Any) -> Any:
        def generate_key_id(multi_region: bool = False) -> str:
            if multi_region:
                return "mrk-" + uuid.uuid4().hex
            return original(multi_region)

        return generate_key_id

    # Key.__init__ calls the name imported into moto.kms.models.
    _wrap(ctx.models, "generate_key_id", patch, make)

    # moto's own id check only knows the dashed-UUID shape; accept AWS's MRK ids too.
    mrk_id = re.compile(r"^mrk-[0-9a-f]{32}$")

    def make_validate(original: Any) -> Any:
        def _validate_cmk_id(self: Any, key_id: str) -> None:
            if not mrk_id.match(key_id):
                return original(self, key_id)
            if self.kms_backend.get_key_id(key_id) not in self.kms_backend.keys:
                raise ctx.error("NotFoundException", f"Key '{self._display_arn(key_id)}' does not exist")

        return _validate_cmk_id

    _wrap(ctx.KmsResponse, "_validate_cmk_id", patch, make_validate)


# --------------------------------------------------------------------------
# (d) Creating key state
# --------------------------------------------------------------------------
def _patch_creating_state(ctx: _Ctx) -> None:
    """ReplicateKey: "When this operation completes, the new replica key has a
    transient key state of Creating. This key state changes to Enabled ... after
    a few seconds when the process of creating the new replica key is complete.
    While the key state is Creating, you can manage key, but you cannot yet use
    it in cryptographic operations."

    moto 5.2.5 makes replicas Enabled at once. ``Key.key_state`` and
    ``Key.enabled`` become properties: a replica created while
    ``creating_seconds > 0`` reports ``Creating`` / ``Enabled: false`` until its
    deadline passes, then ``Enabled``. Any explicit state change (DisableKey,
    ScheduleKeyDeletion, ...) ends the Creating phase.
    """
    Key = ctx.Key
    patch = "creating_state"
    for attr in ("key_state", "enabled"):
        if attr in vars(Key):
            raise FidelityPatchError(
                f"localaws fidelity patch {patch!r}: moto's Key already defines "
                f"{attr!r} on the class; the instance-attribute layout changed"
            )
    _require(Key, "to_dict", patch)

    def settle(key: Any) -> None:
        d = key.__dict__
        until = d.get("_localaws_creating_until")
        if until is not None and time.monotonic() >= until:
            d.pop("_localaws_creating_until", None)
            d["_localaws_key_state"] = "Enabled"
            d["_localaws_enabled"] = True

    def get_state(self: Any) -> str:
        settle(self)
        return self.__dict__.get("_localaws_key_state", "Enabled")

    def set_state(self: Any, value: str) -> None:
        self.__dict__.pop("_localaws_creating_until", None)
        self.__dict__["_localaws_key_state"] = value

    def get_enabled(self: Any) -> bool:
        settle(self)
        return self.__dict__.get("_localaws_enabled", True)

    def set_enabled(self: Any, value: bool) -> None:
        self.__dict__["_localaws_enabled"] = value

    Key.key_state = property(get_state, set_state)
    Key.enabled = property(get_enabled, set_enabled)

    def start_creating(key: Any) -> None:
        seconds = get_config()["creating_seconds"]
        if seconds > 0:
            key.key_state = "Creating"
            key.enabled = False
            key.__dict__["_localaws_creating_until"] = time.monotonic() + seconds
        else:
            key.key_state = "Enabled"
            key.enabled = True

    ctx.start_creating = start_creating  # type: ignore[attr-defined]


# --------------------------------------------------------------------------
# (a), (b), (c), (e) ReplicateKey
# --------------------------------------------------------------------------
def _patch_replicate_key(ctx: _Ctx) -> None:
    """ReplicateKey, rewritten. Restores, per the AWS KMS API reference:

    (a) "KeyId: Specify the key ID or key ARN of a multi-Region primary key"
        (moto 5.2.5: a key ARN gives HTTP 500, KeyError in the backend).
    (b) "A replica key is a fully-functional KMS key that can be used
        independently of its primary and peer replica keys ... All other
        properties of a replica key can differ, including its key policy, tags,
        aliases, and key state" (moto 5.2.5: the replica shares its
        MultiRegionConfiguration dict, aliases, grants with the primary, so
        after the replica is described the *primary* reports
        MultiRegionKeyType REPLICA and aliases leak between Regions). Each key
        now has its own configuration; the set's PrimaryKey / ReplicaKeys are
        kept in sync on every member.
    (c) "If the Region already includes a replica of the key you're trying to
        replicate, ReplicateKey returns an AlreadyExistsException error. If the
        key state of the existing replica is PendingDeletion, you can cancel
        the scheduled key deletion (CancelKeyDeletion) or wait for the key to
        be deleted." (moto 5.2.5: succeeds and overwrites the replica.)
    (d) the new replica starts in KeyState Creating (see creating_state).
    (e) Description: "The default value is an empty string (no description).
        The description is not a shared property of multi-Region keys";
        Policy: "If you do not provide a key policy, KMS attaches the default
        key policy"; Tags: "Assigns one or more tags to the replica key"
        (moto 5.2.5 ignores all three and copies the primary's description and
        policy). The response's ReplicaPolicy / ReplicaTags are the replica's.

    Also: a key that is not multi-Region, or that is itself a replica, gives
    UnsupportedOperationException ("It's the only key that can be replicated",
    UpdatePrimaryRegion reference); a primary pending deletion gives
    KMSInvalidStateException; ReplicaRegion equal to the primary's Region gives
    ValidationException ("The replica must be in a different Amazon Web
    Services Region than its primary key").
    """
    patch = "replicate_key"
    Backend, Response = ctx.KmsBackend, ctx.KmsResponse
    for name in ("replicate_key", "get_key_id"):
        _require(Backend, name, patch)
    for name in ("replicate_key", "_get_param", "_validate_cmk_id", "kms_backend"):
        _require(Response, name, patch)
    _require(ctx.Key, "generate_default_policy", patch)
    from moto.core import utils as core_utils  # noqa: PLC0415

    unix_time = _require(core_utils, "unix_time", patch)

    kms_backends = ctx.kms_backends

    def replicate_key(
        self: Any,
        key_id: str,
        replica_region: str,
        description: str | None = None,
        policy: str | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> Any:
        # one at a time: the AlreadyExists check and the insert must not race
        with _replicate_lock:
            return _replicate(self, key_id, replica_region, description, policy, tags)

    def _replicate(
        self: Any,
        key_id: str,
        replica_region: str,
        description: str | None,
        policy: str | None,
        tags: list[dict[str, str]] | None,
    ) -> Any:
        raw_id = self.get_key_id(key_id)
        primary = self.keys.get(raw_id)
        if primary is None:
            raise ctx.error("NotFoundException", f"Key '{key_id}' does not exist")
        if not primary.multi_region:
            raise ctx.error(
                "UnsupportedOperationException",
                f"{primary.arn} is not a multi-Region key",
            )
        mrc = primary.multi_region_configuration
        if mrc["PrimaryKey"]["Region"] != self.region_name:
            raise ctx.error(
                "UnsupportedOperationException",
                f"{primary.arn} is not a multi-Region primary key",
            )
        if replica_region == self.region_name:
            raise ctx.error(
                "ValidationException",
                f"The replica Region {replica_region} must differ from the "
                "primary key's Region",
            )
        if primary.key_state == "PendingDeletion":
            raise ctx.invalid_state(primary, "pending deletion")
        target = kms_backends[self.account_id][replica_region]
        if raw_id in target.keys:
            raise ctx.error(
                "AlreadyExistsException",
                f"Replica key of {primary.arn} already exists in {replica_region}: "
                f"{target.keys[raw_id].arn}",
            )

        # copy.copy: deepcopy fails on the cffi private key; replace every
        # mutable per-key attribute afterwards so nothing is shared.
        replica = copy.copy(primary)
        replica.__dict__.pop("_localaws_creating_until", None)
        replica.region = replica_region
        replica.arn = primary.arn.replace(
            f":kms:{self.region_name}:", f":kms:{replica_region}:", 1
        )
        replica.creation_date = unix_time()
        replica.description = description or ""
        replica.policy = policy or replica.generate_default_policy()
        replica.grants = {}
        replica.aliases = {}
        replica.rotations = copy.deepcopy(getattr(primary, "rotations", []))
        replica.deletion_date = None
        replica.multi_region_configuration = copy.deepcopy(mrc)
        ctx.start_creating(replica)  # type: ignore[attr-defined]
        target.keys[raw_id] = replica
        if tags:
            target.tagger.tag_resource(raw_id, tags)

        regions = [r["Region"] for r in mrc["ReplicaKeys"]]
        if replica_region not in regions:
            regions.append(replica_region)
        _sync_mrk_set(ctx, self.account_id, raw_id, self.region_name, regions, primary.arn)
        return replica

    def replicate_key_response(self: Any) -> str:
        key_id = self._get_param("KeyId")
        replica_region = self._get_param("ReplicaRegion")
        if not key_id or not replica_region:
            raise ctx.error("ValidationException", "KeyId and ReplicaRegion are required")
        self._validate_cmk_id(key_id)
        tags = self._get_param("Tags") or []
        replica = self.kms_backend.replicate_key(
            key_id,
            replica_region,
            description=self._get_param("Description"),
            policy=self._get_param("Policy"),
            tags=tags,
        )
        return json.dumps(
            {
                "ReplicaKeyMetadata": replica.to_dict()["KeyMetadata"],
                "ReplicaPolicy": replica.policy,
                "ReplicaTags": tags,
            }
        )

    _wrap(Backend, "replicate_key", patch, lambda _orig: replicate_key)
    _wrap(Response, "replicate_key", patch, lambda _orig: replicate_key_response)


def _sync_mrk_set(
    ctx: _Ctx,
    account_id: str,
    key_id: str,
    primary_region: str,
    replica_regions: list[str],
    arn_template: str,
) -> None:
    """Write one consistent MultiRegionConfiguration onto every key of the set."""
    base_region = arn_template.split(":")[3]

    def arn_in(region: str) -> str:
        return arn_template.replace(f":kms:{base_region}:", f":kms:{region}:", 1)

    replicas = [r for r in replica_regions if r != primary_region]
    for region in [primary_region, *replicas]:
        key = ctx.kms_backends[account_id][region].keys.get(key_id)
        if key is None:
            continue
        key.multi_region_configuration = {
            "MultiRegionKeyType": "PRIMARY" if region == primary_region else "REPLICA",
            "PrimaryKey": {"Arn": arn_in(primary_region), "Region": primary_region},
            "ReplicaKeys": [{"Arn": arn_in(r), "Region": r} for r in replicas],
        }


# --------------------------------------------------------------------------
# Enable/Disable/ScheduleKeyDeletion/CancelKeyDeletion accept a key ARN
# --------------------------------------------------------------------------
def _patch_state_change_accepts_arn(ctx: _Ctx) -> None:
    """EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion: "KeyId:
    Specify the key ID or key ARN of the KMS key." moto 5.2.5 indexes its key
    dict with the raw parameter, so a key ARN gives HTTP 500 (KeyError).

    Also restores the key-state rules AWS enforces for these operations
    ("The KMS key that you use for this operation must be in a compatible key
    state"): EnableKey/DisableKey on a key pending deletion and
    CancelKeyDeletion on a key that is not pending deletion give
    KMSInvalidStateException (moto 5.2.5 silently changes the state).
    """
    patch = "state_change_accepts_arn"
    Backend = ctx.KmsBackend

    def make(name: str, check: Callable[[Any], None] | None) -> Callable[[Any], Any]:
        def factory(original: Any) -> Any:
            def wrapper(self: Any, key_id: str, *args: Any, **kwargs: Any) -> Any:
                raw_id = self.get_key_id(key_id)
                key = self.keys.get(raw_id)
                if key is None:
                    raise ctx.error("NotFoundException", f"Key '{key_id}' does not exist")
                if check is not None:
                    check(key)
                return original(self, raw_id, *args, **kwargs)

            wrapper.__name__ = name
            wrapper.__doc__ = original.__doc__
            return wrapper

        return factory

    def not_pending_deletion(key: Any) -> None:
        if key.key_state in ("PendingDeletion", "PendingReplicaDeletion"):
            raise ctx.invalid_state(key, "pending deletion")

    def pending_deletion(key: Any) -> None:
        if key.key_state not in ("PendingDeletion", "PendingReplicaDeletion"):
            raise ctx.invalid_state(key, "not pending deletion")

    _wrap(Backend, "enable_key", patch, make("enable_key", not_pending_deletion))
    _wrap(Backend, "disable_key", patch, make("disable_key", not_pending_deletion))
    _wrap(Backend, "schedule_key_deletion", patch, make("schedule_key_deletion", None))
    _wrap(Backend, "cancel_key_deletion", patch, make("cancel_key_deletion", pending_deletion))


def _patch_deletion_responses(ctx: _Ctx) -> None:
    """ScheduleKeyDeletion / CancelKeyDeletion responses: "KeyId: The Amazon
    Resource Name (key ARN) of the KMS key". moto 5.2.5 echoes the request's
    KeyId. ScheduleKeyDeletion also returns KeyState and PendingWindowInDays.
    """
    patch = "deletion_responses"
    Response = ctx.KmsResponse

    def factory(with_window: bool) -> Callable[[Any], Any]:
        def make(original: Any) -> Any:
            def wrapper(self: Any) -> str:
                body = original(self)
                out = json.loads(body)
                key = self.kms_backend.keys.get(self.kms_backend.get_key_id(self._get_param("KeyId")))
                if key is not None:
                    out["KeyId"] = key.arn
                    if with_window:
                        out["KeyState"] = key.key_state
                        out["PendingWindowInDays"] = self._get_param("PendingWindowInDays") or 30
                return json.dumps(out)

            wrapper.__doc__ = original.__doc__
            return wrapper

        return make

    _wrap(Response, "schedule_key_deletion", patch, factory(True))
    _wrap(Response, "cancel_key_deletion", patch, factory(False))


# --------------------------------------------------------------------------
# (f) MRK ciphertext + key state in cryptographic operations
# --------------------------------------------------------------------------
def _patch_crypto_key_state_and_mrk_decrypt(ctx: _Ctx) -> None:
    """(f) Decrypt of multi-Region key ciphertext, in the primary's and in any
    replica's Region: "you can use them interchangeably to encrypt data in one
    Amazon Web Services Region and decrypt it in a different Amazon Web
    Services Region". moto 5.2.5 stores the key id in a fixed 36-byte header
    field but its MRK ids are 40 characters ("mrk-" + UUID), so Decrypt of any
    MRK ciphertext fails with AccessDeniedException, even in the primary
    Region. Decrypt now resolves a cut id to the unique key id it prefixes.
    Replicas share the primary's key material, so the Region does not matter.

    Key state in cryptographic operations (Encrypt, Decrypt, GenerateDataKey,
    ReEncrypt): "While the key state is Creating, you can manage key, but you
    cannot yet use it in cryptographic operations" -> KMSInvalidStateException;
    a disabled key -> DisabledException; a key pending deletion ->
    KMSInvalidStateException. moto 5.2.5 encrypts with keys in any state.
    """
    patch = "crypto_key_state_and_mrk_decrypt"
    models, utils = ctx.models, ctx.utils
    deserialize = _require(utils, "_deserialize_ciphertext_blob", patch)
    key_id_len = _require(utils, "KEY_ID_LEN", patch)

    def check_usable(key: Any) -> None:
        state = key.key_state
        if state == "Disabled":
            raise ctx.error("DisabledException", f"{key.arn} is disabled.")
        if state != "Enabled":
            raise ctx.invalid_state(key, state.lower() if state != "PendingDeletion" else "pending deletion")

    def make_encrypt(original: Any) -> Any:
        def encrypt(master_keys: dict, key_id: str, plaintext: bytes, encryption_context: dict) -> bytes:
            key = master_keys.get(key_id)
            if key is not None:
                check_usable(key)
            return original(
                master_keys=master_keys,
                key_id=key_id,
                plaintext=plaintext,
                encryption_context=encryption_context,
            )

        return encrypt

    def make_decrypt(original: Any) -> Any:
        def decrypt(master_keys: dict, ciphertext_blob: bytes, encryption_context: dict) -> tuple:
            try:
                header_id = deserialize(ciphertext_blob=ciphertext_blob).key_id
            except Exception:  # noqa: BLE001 - let moto raise its own error
                return original(
                    master_keys=master_keys,
                    ciphertext_blob=ciphertext_blob,
                    encryption_context=encryption_context,
                )
            key = master_keys.get(header_id)
            full_id = header_id
            if key is None and len(header_id) == key_id_len:
                candidates = [
                    kid for kid in master_keys if len(kid) > key_id_len and kid[:key_id_len] == header_id
                ]
                if len(candidates) == 1:
                    full_id = candidates[0]
                    key = master_keys[full_id]
            if key is not None:
                check_usable(key)
            plaintext, _ = original(
                master_keys={header_id: key} if key is not None else master_keys,
                ciphertext_blob=ciphertext_blob,
                encryption_context=encryption_context,
            )
            return plaintext, full_id

        return decrypt

    _wrap(models, "encrypt", patch, make_encrypt)
    _wrap(models, "decrypt", patch, make_decrypt)


# --------------------------------------------------------------------------
# UpdatePrimaryRegion
# --------------------------------------------------------------------------
def _patch_update_primary_region(ctx: _Ctx) -> None:
    """UpdatePrimaryRegion: "changes the replica key in the specified Region to
    a primary key and changes the former primary key to a replica key ... The
    primary Region must already have a replica key." moto 5.2.5 does not
    implement it (HTTP 500). The transient Updating key state is not modelled.
    """
    patch = "update_primary_region"
    Response = ctx.KmsResponse
    if hasattr(Response, "update_primary_region"):
        raise FidelityPatchError(
            f"localaws fidelity patch {patch!r}: moto now implements "
            "UpdatePrimaryRegion; drop this patch after checking it"
        )

    def update_primary_region(self: Any) -> str:
        key_id = self._get_param("KeyId")
        new_region = self._get_param("PrimaryRegion")
        self._validate_cmk_id(key_id)
        backend = self.kms_backend
        raw_id = backend.get_key_id(key_id)
        key = backend.keys[raw_id]
        if not key.multi_region:
            raise ctx.error("UnsupportedOperationException", f"{key.arn} is not a multi-Region key")
        mrc = key.multi_region_configuration
        if mrc["PrimaryKey"]["Region"] != backend.region_name:
            raise ctx.error("UnsupportedOperationException", f"{key.arn} is not a multi-Region primary key")
        regions = [backend.region_name] + [r["Region"] for r in mrc["ReplicaKeys"]]
        if new_region == backend.region_name:
            return json.dumps({})
        if new_region not in regions or raw_id not in ctx.kms_backends[backend.account_id][new_region].keys:
            raise ctx.error("NotFoundException", f"{key.arn} has no replica in {new_region}")
        _sync_mrk_set(ctx, backend.account_id, raw_id, new_region, regions, key.arn)
        return json.dumps({})

    update_primary_region._localaws_patch = patch  # type: ignore[attr-defined]
    Response.update_primary_region = update_primary_region
