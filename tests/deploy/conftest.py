"""tests/deploy: checks of what gets deployed (template.yaml, examples/, the arm64 bootstrap) and of the
acceptance test's opt-in. None of them calls AWS."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
