"""The pytest fixtures of the end-to-end suite (tests/e2e) and of the harness's own tests (tests/harness/tests):
one local AWS and one warm function process per module. Each folder's conftest.py imports them."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from mrk_harness import Function, Stack
from mrk_harness.localaws import LocalAws

# A replica stays `Creating` this long, so the function's wait is exercised for real.
CREATING_SECONDS = float(os.environ.get("E2E_CREATING_SECONDS", "1.5"))


@pytest.fixture(scope="module")
def aws():
    with LocalAws(creating_seconds=CREATING_SECONDS) as local:
        yield local


@pytest.fixture(scope="module")
def function(aws, tmp_path_factory, request):
    """The function as a warm Lambda; a test module may set FUNCTION_ENV for its environment."""
    log = Path(tmp_path_factory.mktemp("logs")) / "function.log"
    fn = Function(aws.endpoint, log, env=getattr(request.module, "FUNCTION_ENV", None))
    yield fn
    fn.close()


@pytest.fixture(autouse=True)
def clean_faults(request):
    """Every test starts without faults and with an empty call log."""
    if "aws" in request.fixturenames:
        local = request.getfixturevalue("aws")
        local.clear_faults()
        local.clear_calls()
        yield
        local.clear_faults()
    else:
        yield


@pytest.fixture
def stack(request):
    """A stack named after the test, as CloudFormation allows a name: letters, digits and hyphens."""
    return Stack(name=re.sub(r"[^A-Za-z0-9-]", "-", request.node.name)[:100])
