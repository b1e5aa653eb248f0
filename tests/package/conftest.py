"""tests/package: the release artifacts as a user gets them (dist/, the CDK package's tarball). None of
them calls AWS; `make package-test` runs them after `make package` and `make cdk-package`."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "deploy")]
