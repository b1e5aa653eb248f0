"""The launcher behind ``python -m mrk_harness.localaws``: moto's threaded werkzeug server
on 127.0.0.1 with the fidelity patches applied and the fault/control
middleware in front."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from typing import Any

from . import faults

READY_PREFIX = "LOCALAWS_READY"
BIND_HOST = "127.0.0.1"  # never anything else
DEFAULT_MAX_LIFETIME = 3600.0


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m mrk_harness.localaws",
        description="Local AWS (moto server + fidelity patches + fault injection) on 127.0.0.1",
    )
    p.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = a free port)")
    p.add_argument(
        "--creating-seconds",
        type=float,
        default=0.0,
        help="seconds a new ReplicateKey replica stays in KeyState Creating (0 = Enabled at once)",
    )
    p.add_argument(
        "--max-lifetime",
        type=float,
        default=DEFAULT_MAX_LIFETIME,
        help="exit by itself after this many seconds (safety net; default 3600)",
    )
    p.add_argument(
        "--parent-pid",
        type=int,
        default=0,
        help="exit when this process is gone (LocalAws passes its own pid)",
    )
    p.add_argument("--verbose", action="store_true", help="log every request (werkzeug) to stderr")
    p.add_argument(
        "--no-fidelity",
        action="store_true",
        help="do NOT apply the fidelity patches (plain moto; for re-measuring moto's gaps)",
    )
    return p.parse_args(argv)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def cache_moto_module_list() -> bool:
    """moto's server routes every request through `moto.backends.list_of_moto_modules()`, which lists
    moto's package directory and stats each of its ~180 entries: on this machine that was 1.3 ms of the
    2.4 ms moto took to serve a PutParameter (cProfile, 200 calls in process). The listing cannot change
    while the process runs, so it is taken once. Only speed changes: the same names come back, in the same
    order. Returns False if moto no longer has the function (nothing is patched then)."""
    from moto import backends

    listing = getattr(backends, "list_of_moto_modules", None)
    if listing is None:
        return False
    if getattr(listing, "localaws_cached", False):
        return True
    modules = tuple(listing())

    def cached() -> tuple[str, ...]:
        return modules

    cached.localaws_cached = True  # type: ignore[attr-defined]
    backends.list_of_moto_modules = cached
    return True


def cache_static_lookups() -> list[str]:
    """Two lookups that moto makes on every request and whose answers cannot change while the process runs:
    which backend serves a host name (about 190 URL patterns tried in turn), and which methods a response
    class has (`inspect.getmembers` of the class). Each is remembered after its first answer: the same
    answers, only sooner. Returns the names of the lookups cached (a missing one is left alone)."""
    import functools

    from moto.core import responses, utils
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    cached = []
    backend_for_host = getattr(DomainDispatcherApplication, "get_backend_for_host", None)
    if backend_for_host is not None:
        if not getattr(backend_for_host, "localaws_cached", False):
            answers: dict[str | None, Any] = {}

            def remembered(self: Any, host: str | None) -> Any:
                if host not in answers:
                    answers[host] = backend_for_host(self, host)
                return answers[host]

            remembered.localaws_cached = True  # type: ignore[attr-defined]
            DomainDispatcherApplication.get_backend_for_host = remembered  # type: ignore[method-assign]
        cached.append("backend_for_host")
    method_names = getattr(responses, "method_names_from_class", None)
    if method_names is not None:
        if not getattr(method_names, "localaws_cached", False):
            by_class = functools.lru_cache(maxsize=None)(utils.method_names_from_class)

            def names(clazz: object) -> list[str]:
                return list(by_class(clazz))

            names.localaws_cached = True  # type: ignore[attr-defined]
            responses.method_names_from_class = names
        cached.append("method_names_from_class")
    return cached


def build_app(injector: faults.FaultInjector, apply_fidelity: bool = True) -> Any:
    from moto import __version__ as moto_version
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from . import fidelity

    applied = fidelity.apply() if apply_fidelity else []
    cached = cache_moto_module_list()
    lookups = cache_static_lookups()
    moto_app = DomainDispatcherApplication(create_backend_app)
    return faults.LocalAwsMiddleware(
        moto_app,
        injector,
        fidelity.get_config,
        fidelity.set_config,
        info={"moto": moto_version, "fidelity_patches": applied, "module_list_cached": cached,
              "lookups_cached": lookups},
    )


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    if not 0 <= args.port <= 65535:
        print("localaws: --port must be within 0..65535", file=sys.stderr)
        return 2
    if not 0 < args.max_lifetime <= 7 * 24 * 3600:
        print("localaws: --max-lifetime must be within (0, 604800]", file=sys.stderr)
        return 2
    # Dummy credentials for anything in this process that signs requests.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    logging.getLogger("werkzeug").setLevel(logging.INFO if args.verbose else logging.WARNING)

    from werkzeug.serving import make_server

    from moto.moto_server.werkzeug_app import MotoRequestHandler

    from . import fidelity

    try:
        fidelity.set_config(creating_seconds=args.creating_seconds)
        injector = faults.FaultInjector()
        app = build_app(injector, apply_fidelity=not args.no_fidelity)
    except (fidelity.FidelityPatchError, ValueError) as exc:
        print(f"localaws: FATAL: {exc}", file=sys.stderr, flush=True)
        return 3

    server = make_server(BIND_HOST, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    print(f"{READY_PREFIX} http://{BIND_HOST}:{server.server_port}", flush=True)

    deadline = time.monotonic() + args.max_lifetime
    reason = "signal"
    while not stop.wait(0.5):
        if time.monotonic() >= deadline:
            reason = "max lifetime reached"
            break
        if args.parent_pid and not _pid_alive(args.parent_pid):
            reason = "parent process gone"
            break
        if not thread.is_alive():
            reason = "server thread died"
            break
    injector.release_all()  # let hung calls finish now
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    print(f"localaws: stopped ({reason})", file=sys.stderr, flush=True)
    return 0 if reason in ("signal", "max lifetime reached", "parent process gone") else 1
