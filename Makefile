# mrk-provider. `make test` is what CI runs (.ci/run); every target installs what it needs itself.
SHELL := /bin/bash
CARGO ?= cargo
PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
E2E := PYTHONPATH=tests/e2e $(VPY)

.PHONY: test fmt-check clippy unit e2e

## test: formatting check, clippy with warnings denied, unit tests, then the end-to-end suite
test: fmt-check clippy unit e2e

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --all-targets -- -D warnings

unit:
	$(CARGO) test --all-targets

## e2e: the real bootstrap binary against the local AWS (moto), as Lambda and CloudFormation drive it
e2e: $(VENV)/.installed
	$(CARGO) build
	$(E2E) -m pytest -p no:cacheprovider tests/e2e -q

# The project-local Python environment with pinned packages (moto, boto3, pytest).
$(VENV)/.installed: tests/e2e/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --disable-pip-version-check -r tests/e2e/requirements.txt
	touch $@
