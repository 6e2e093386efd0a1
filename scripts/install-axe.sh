#!/usr/bin/env bash
# Installs axe-core into .cache/axe (git-ignored) for the browser tests
# (cmd/ledger/web_browser_test.go), which inject it into every page, pinned
# by scripts/npm/axe/package-lock.json (version and integrity hash). Needs
# npm; nothing is installed globally. To move to another version, change it
# in scripts/npm/axe/package.json and run `npm install --package-lock-only`
# there.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
status=0
bash scripts/npm-install.sh axe || status=$?
if [ "$status" -eq 3 ]; then
	echo "install-axe: npm is not installed; the browser tests will skip (and fail under CI)" >&2
	exit 1
fi
exit "$status"
