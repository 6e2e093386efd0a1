#!/usr/bin/env bash
# Lints http/openapi.json with Spectral's recommended OpenAPI ruleset
# (.spectral.yaml), failing on any warning. Spectral is installed into
# .cache/spectral (git-ignored) from the npm registry, it and every one of
# its dependencies pinned by scripts/npm/spectral/package-lock.json;
# nothing is installed globally. vacuum, the Go-installable linter, is not served by
# the Go module proxy this project builds with, so the npm package is used.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin=.cache/spectral/node_modules/.bin/spectral
status=0
bash scripts/npm-install.sh spectral || status=$?
case "$status" in
0) ;;
3)
	echo "lint-openapi: npm is not installed, so the OpenAPI document is not linted" >&2
	[ -z "${CI:-}" ] || exit 1
	exit 0
	;;
*) exit "$status" ;;
esac
"$bin" lint --fail-severity=warn --ruleset .spectral.yaml http/openapi.json
