"""Where the artifacts are, and the checks that tests/deploy makes of the `bootstrap` that `sam build`
made, applied to the `bootstrap` inside an artifact."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from cfn import ROOT

DIST = ROOT / "dist"
LAMBDA_ZIP = DIST / "mrk-provider-arm64.zip"
DEPLOY_BIN = ROOT / ".venv-deploy" / "bin"


def require(path: Path, how: str) -> Path:
    if not path.exists():
        raise AssertionError(f"{path} is missing: run `{how}` first")
    return path


def extract_bootstrap(package: Path, folder: Path) -> Path:
    """`bootstrap` out of a Lambda zip, with the mode bits the zip gives it (Lambda honours them)."""
    with zipfile.ZipFile(package) as archive:
        entry = archive.getinfo("bootstrap")
        target = folder / "bootstrap"
        target.write_bytes(archive.read(entry))
    os.chmod(target, (entry.external_attr >> 16) & 0o777)
    return target


def assert_passes_the_bootstrap_checks(bootstrap: Path) -> None:
    """Runs tests/deploy/test_bootstrap.py (arm64 ELF, linked at a fixed address, glibc, stripped, unwinding
    panics, size) on `bootstrap` instead of the `sam build` output."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA",
         str(ROOT / "tests" / "deploy" / "test_bootstrap.py")],
        env={**os.environ, "MRK_SAM_BOOTSTRAP": str(bootstrap)},
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, f"{bootstrap} fails tests/deploy/test_bootstrap.py:\n{result.stdout}{result.stderr}"
    assert " passed" in result.stdout and "skipped" not in result.stdout, result.stdout


@contextlib.contextmanager
def local_s3():
    """A moto server on 127.0.0.1 (from the end-to-end suite's .venv), yielding its endpoint URL."""
    server = require(ROOT / ".venv" / "bin" / "moto_server", "make .venv/.installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([str(server), "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"the local S3 (moto_server on port {port}) did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def cfn_lint(*templates: Path) -> None:
    result = subprocess.run(
        [str(DEPLOY_BIN / "cfn-lint"), "--regions", "us-east-1", "eu-west-1", "--", *map(str, templates)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, f"cfn-lint found problems:\n{result.stdout}{result.stderr}"
