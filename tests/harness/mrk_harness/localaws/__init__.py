"""localaws: a local AWS for mrk-provider's end-to-end tests.

moto's server (pinned in tests/e2e/requirements.txt) on 127.0.0.1, with a
fidelity layer for multi-Region KMS keys (fidelity.py), fault injection /
call log / control API (faults.py), and CloudFormation's DescribeStacks and
DescribeStackResource answered from registered stacks (cloudformation.py). Start it with ``python -m mrk_harness.localaws`` or,
from tests, ``with LocalAws(...) as aws:``. See README.md.
"""

from .client import LocalAws, LocalAwsError
from .faults import KMS_DEFAULT_QUOTAS

__all__ = ["KMS_DEFAULT_QUOTAS", "LocalAws", "LocalAwsError"]
