#!/usr/bin/env bash
# make check-ops: check the operations files with the tools that read them.
#   docs/alerts.yml       promtool check rules, promtool test rules docs/alerts_test.yml
#   deploy/ledger.service systemd-analyze verify (any warning fails)
#   deploy/Caddyfile      caddy validate (when caddy is installed; never required)
# A missing promtool or systemd-analyze skips its check with a message; with
# CI set (as .ci/run does) it fails instead.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

missing() {
	if [ -n "${CI:-}" ]; then
		echo "check-ops: $1 is missing, and CI requires it ($2)" >&2
		exit 1
	fi
	echo "check-ops: SKIPPED $3: $1 is missing ($2)" >&2
}

if command -v promtool >/dev/null 2>&1; then
	promtool check rules docs/alerts.yml
	promtool test rules docs/alerts_test.yml
else
	missing promtool "apt-get install prometheus" "the alert rules' checks"
fi

if command -v systemd-analyze >/dev/null 2>&1; then
	# verify wants ExecStart to exist: check a copy that starts /bin/true.
	tmp="$(mktemp -d)"
	trap 'rm -rf "$tmp"' EXIT
	sed 's#^ExecStart=/usr/local/bin/ledger #ExecStart=/bin/true #' deploy/ledger.service > "$tmp/ledger.service"
	out="$(systemd-analyze verify "$tmp/ledger.service" 2>&1)" || { echo "$out" >&2; exit 1; }
	if [ -n "$out" ]; then
		echo "systemd-analyze verify deploy/ledger.service:" >&2
		echo "$out" >&2
		exit 1
	fi
	echo "deploy/ledger.service: systemd-analyze verify found nothing to say"
else
	missing systemd-analyze "apt-get install systemd" "the systemd unit's check"
fi

if command -v caddy >/dev/null 2>&1; then
	caddy adapt --config deploy/Caddyfile --adapter caddyfile >/dev/null
	echo "deploy/Caddyfile: caddy adapts it"
fi
