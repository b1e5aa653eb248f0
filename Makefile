# mrk-provider. `make test` is what CI runs (.ci/run); every target installs what it needs itself.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: test fmt-check clippy unit

## test: formatting check, clippy with warnings denied, and every test
test: fmt-check clippy unit

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --all-targets -- -D warnings

unit:
	$(CARGO) test --all-targets
