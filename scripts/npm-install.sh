#!/usr/bin/env bash
# Installs the npm packages of scripts/npm/NAME into .cache/NAME (git-ignored)
# exactly as scripts/npm/NAME/package-lock.json pins them: every package,
# dependencies included, at the version and integrity hash of the lock file
# (npm ci refuses anything else). Nothing is installed globally. It does
# nothing when .cache/NAME already holds that lock file's installation.
# Exits 3 when npm is missing, so callers can say what that means for them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
name=${1:?usage: scripts/npm-install.sh NAME}
src=scripts/npm/$name
dir=.cache/$name
if [ -d "$dir/node_modules" ] && cmp -s "$src/package-lock.json" "$dir/package-lock.json" &&
	cmp -s "$src/package.json" "$dir/package.json"; then
	exit 0
fi
if ! command -v npm >/dev/null; then
	exit 3
fi
rm -rf "$dir"
mkdir -p "$dir"
cp "$src/package.json" "$src/package-lock.json" "$dir/"
npm ci --silent --no-audit --no-fund --prefix "$dir"
echo "installed $name into $dir from $src/package-lock.json"
