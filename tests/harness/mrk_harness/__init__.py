"""mrk_harness: what the end-to-end suite (tests/e2e), `make demo` and `make bench` run the provider with.

- `mrk_harness.lambda_runtime` (re-exported here): a local Lambda Runtime API, a ResponseURL receiver,
  and `Function`, which starts the real `bootstrap` binary and sends it CloudFormation events.
- `mrk_harness.keys` (re-exported here): multi-Region primary keys with the provider's consent tag.
- `mrk_harness.localaws`: a local AWS (moto on 127.0.0.1, with fidelity fixes and fault injection, and
  CloudFormation's DescribeStacks and DescribeStackResource from the stacks `Function` registers);
  `python -m mrk_harness.localaws` starts one on its own.

Installed into the project's `.venv` by the Makefile (`pip install -e tests/harness`).
"""

from .keys import REPLICABLE_TAG, create_primary_key
from .lambda_runtime import (
    ACCOUNT,
    FUNCTION_ARN,
    LOOPBACK,
    ROOT,
    TEST_ONLY_RESPONSE_URL_PREFIX,
    Answer,
    Function,
    Put,
    ResponseReceiver,
    Result,
    RuntimeApi,
    Stack,
    binary_path,
    cfn_strings,
    emulator,
    function_arn,
)

__all__ = [
    "ACCOUNT",
    "FUNCTION_ARN",
    "LOOPBACK",
    "REPLICABLE_TAG",
    "ROOT",
    "TEST_ONLY_RESPONSE_URL_PREFIX",
    "Answer",
    "Function",
    "Put",
    "ResponseReceiver",
    "Result",
    "RuntimeApi",
    "Stack",
    "binary_path",
    "cfn_strings",
    "create_primary_key",
    "emulator",
    "function_arn",
]
