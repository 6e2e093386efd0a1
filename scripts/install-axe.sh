#!/usr/bin/env bash
# Installs axe-core, pinned, into .cache/axe (git-ignored) for the browser
# tests (cmd/ledger/web_browser_test.go), which inject it into every page.
# Needs npm; nothing is installed globally.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
AXE_VERSION=4.14.1
dir=.cache/axe
if [ -f "$dir/node_modules/axe-core/axe.min.js" ] &&
	grep -q "\"version\": \"$AXE_VERSION\"" "$dir/node_modules/axe-core/package.json"; then
	exit 0
fi
if ! command -v npm >/dev/null; then
	echo "install-axe: npm is not installed; the browser tests will skip (and fail under CI)" >&2
	exit 1
fi
mkdir -p "$dir"
npm install --silent --no-audit --no-fund --no-save --no-package-lock --prefix "$dir" "axe-core@$AXE_VERSION"
echo "installed axe-core $AXE_VERSION into $dir"
