#!/usr/bin/env bash
# Lints http/openapi.json with Spectral's recommended OpenAPI ruleset
# (.spectral.yaml), failing on any warning. Spectral is installed pinned
# into .cache/spectral (git-ignored) from the npm registry; nothing is
# installed globally. vacuum, the Go-installable linter, is not served by
# the Go module proxy this project builds with, so the npm package is used.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SPECTRAL_VERSION=6.16.3
dir=.cache/spectral
bin="$dir/node_modules/.bin/spectral"
if ! [ -x "$bin" ] ||
	! grep -q "\"version\": \"$SPECTRAL_VERSION\"" "$dir/node_modules/@stoplight/spectral-cli/package.json" 2>/dev/null; then
	if ! command -v npm >/dev/null; then
		echo "lint-openapi: npm is not installed, so the OpenAPI document is not linted" >&2
		[ -z "${CI:-}" ] || exit 1
		exit 0
	fi
	mkdir -p "$dir"
	npm install --silent --no-audit --no-fund --no-save --no-package-lock --prefix "$dir" "@stoplight/spectral-cli@$SPECTRAL_VERSION"
	echo "installed spectral $SPECTRAL_VERSION into $dir"
fi
"$bin" lint --fail-severity=warn --ruleset .spectral.yaml http/openapi.json
