#!/usr/bin/env bash
# cdk/API.md must be what jsii-docgen makes of the constructs' jsii assembly (run after the jsii build).
set -euo pipefail
cd "$(dirname "$0")/../cdk"
npx --no-install jsii-docgen -o API.tmp.md
if ! cmp -s API.md API.tmp.md; then
	diff -u API.md API.tmp.md | head -20
	rm -f API.tmp.md
	echo "cdk/API.md is not the API of the constructs: run make cdk-docs" >&2
	exit 1
fi
rm -f API.tmp.md
