#!/usr/bin/env bash
# `sam validate --lint` on each template given (cfn-lint runs on all of them at once before this).
# Usage: tools/lint_templates.sh SAM_COMMAND TEMPLATE...
set -euo pipefail
sam=$1
shift
for template in "$@"; do
	echo "sam validate --lint $template"
	# shellcheck disable=SC2086 # SAM_COMMAND is a command with its arguments
	timeout 120 $sam validate --lint --region us-east-1 --template-file "$template"
done
