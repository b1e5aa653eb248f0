"""The suite's fixtures: mrk_harness.pytest_fixtures (the local AWS, the warm function, a stack per test)."""

from mrk_harness.pytest_fixtures import aws, clean_faults, function, stack  # noqa: F401
