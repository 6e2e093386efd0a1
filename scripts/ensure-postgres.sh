#!/usr/bin/env bash
# ensure-postgres.sh: make sure a PostgreSQL answers at the URL the tests use,
# LEDGER_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres),
# starting one on this machine if it can. `make test` runs it before go test,
# and internal/pgtest runs it when a test finds no server.
#
# It is idempotent, prints what it did, and always exits 0: when it cannot
# start a server it says why, and the PostgreSQL tests skip with a message.
#
# If nothing answers and the host is this machine, it tries in turn:
#   1. Debian as root: apt-get install -y postgresql when it is missing, then
#      start the cluster on the URL's port with
#      pg_ctlcluster --skip-systemctl-redirect VERSION main start
#      (creating it with pg_createcluster if there is none). A cluster it
#      starts gets a pg_hba.conf line trusting the URL's user on the loopback
#      addresses, so the tests connect without a password; the line is marked
#      "ledger ensure-postgres".
#   2. Any machine with initdb (on PATH or under /usr/lib/postgresql): a
#      throwaway server in LEDGER_POSTGRES_DIR (default
#      /tmp/ledger-postgres-PORT), trust authentication, run by the postgres
#      user when this script runs as root.
set -uo pipefail

url="${LEDGER_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"

say() { echo "ensure-postgres: $*"; }
give_up() {
	say "$*"
	say "the PostgreSQL tests will skip; set LEDGER_TEST_POSTGRES_URL to a server they can use"
	exit 0
}

# Split the URL: postgres[ql]://[user[:password]@]host[:port][/db][?params]
case "$url" in
postgres://* | postgresql://*) ;;
*) give_up "LEDGER_TEST_POSTGRES_URL is not a postgres:// URL; not starting anything" ;;
esac
authority="${url#*://}"
authority="${authority%%[/?]*}"
user=postgres
if [[ "$authority" == *@* ]]; then
	user="${authority%@*}"
	user="${user%%:*}"
	authority="${authority##*@}"
fi
host="$authority" port=5432
if [[ "$authority" =~ ^\[(.*)\](:([0-9]+))?$ ]]; then
	host="${BASH_REMATCH[1]}" port="${BASH_REMATCH[3]:-5432}"
elif [[ "$authority" == *:* ]]; then
	host="${authority%%:*}" port="${authority##*:}"
fi
[ -n "$host" ] || host=localhost

# answers reports whether a server accepts connections on host:port.
answers() {
	if command -v pg_isready >/dev/null; then
		pg_isready -q -t 3 -h "$host" -p "$port" >/dev/null 2>&1
	else
		timeout 3 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null
	fi
}

# can_log_in reports whether the URL's user gets in (true when psql is
# missing: there is nothing to check with, and the tests will say).
can_log_in() {
	command -v psql >/dev/null || return 0
	PGCONNECT_TIMEOUT=5 psql -X -q -A -t -c 'SELECT 1' "$url" >/dev/null 2>&1
}

# wait_up waits up to 30s for the server to answer.
wait_up() {
	for _ in $(seq 60); do
		answers && return 0
		sleep 0.5
	done
	return 1
}

if answers; then
	if can_log_in; then
		say "PostgreSQL answers at $host:$port; nothing to do"
	else
		say "PostgreSQL answers at $host:$port but user $user cannot log in with the URL given;" \
			"not changing a server this script did not start"
	fi
	exit 0
fi

case "$host" in
127.0.0.1 | localhost | ::1) ;;
*) give_up "nothing answers at $host:$port, which is not this machine; not starting anything" ;;
esac

# Runs of this script (make test, and every test binary that finds no
# server) queue here rather than install or start a server twice.
if command -v flock >/dev/null; then
	exec 9>"${TMPDIR:-/tmp}/ledger-ensure-postgres.lock"
	flock -w 600 9 || give_up "waited 10 minutes for another ensure-postgres.sh; giving up"
	if answers; then
		say "PostgreSQL answers at $host:$port (another run started it)"
		exit 0
	fi
fi

say "nothing answers at $host:$port; trying to start PostgreSQL"

# trust_loopback adds, above every other line of the pg_hba.conf at $1,
# lines trusting $user from the loopback addresses, unless they are there.
trust_loopback() {
	local hba="$1" mark="# ledger ensure-postgres: the tests connect without a password"
	[ -w "$hba" ] || return 1
	grep -qF "$mark" "$hba" && return 0
	{
		echo "$mark"
		echo "host all $user 127.0.0.1/32 trust"
		echo "host all $user ::1/128 trust"
		cat "$hba"
	} >"$hba.ledger-new" && cat "$hba.ledger-new" >"$hba" && rm -f "$hba.ledger-new"
}

# debian_cluster installs PostgreSQL if need be and starts the cluster on
# $port; it returns non-zero when it could not.
debian_cluster() {
	[ -r /etc/debian_version ] || { say "not Debian: no apt-get install, no pg_ctlcluster"; return 1; }
	[ "$(id -u)" = 0 ] || { say "not root: cannot apt-get install or run pg_ctlcluster"; return 1; }
	if ! command -v pg_ctlcluster >/dev/null || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
		say "installing Debian's postgresql package (apt-get install -y postgresql)"
		export DEBIAN_FRONTEND=noninteractive
		if ! apt-get install -y -q postgresql >/tmp/ledger-apt.log 2>&1; then
			say "apt-get install failed; running apt-get update and trying again"
			apt-get update -q >>/tmp/ledger-apt.log 2>&1
			if ! apt-get install -y -q postgresql >>/tmp/ledger-apt.log 2>&1; then
				say "apt-get install -y postgresql failed; the last lines of /tmp/ledger-apt.log:"
				tail -n 5 /tmp/ledger-apt.log | sed 's/^/    /'
				return 1
			fi
		fi
		say "installed postgresql"
	fi
	local ver name cport line
	line="$(pg_lsclusters -h 2>/dev/null | awk -v p="$port" '$3 == p {print $1, $2; exit}')"
	if [ -z "$line" ]; then
		ver="$(ls /usr/lib/postgresql | sort -n | tail -n 1)"
		if pg_lsclusters -h 2>/dev/null | awk '{print $1, $2}' | grep -qx "$ver main"; then
			cport="$(pg_lsclusters -h | awk -v v="$ver" '$1 == v && $2 == "main" {print $3}')"
			say "cluster $ver/main exists on port $cport, not $port; not moving it"
			return 1
		fi
		say "creating cluster $ver/main on port $port (pg_createcluster)"
		pg_createcluster "$ver" main --port "$port" >/dev/null || { say "pg_createcluster failed"; return 1; }
		line="$ver main"
	fi
	read -r ver name <<<"$line"
	trust_loopback "/etc/postgresql/$ver/$name/pg_hba.conf" &&
		say "pg_hba.conf of $ver/$name trusts $user on 127.0.0.1 and ::1"
	if pg_lsclusters -h 2>/dev/null | awk -v v="$ver" -v n="$name" '$1 == v && $2 == n {print $4}' | grep -q online; then
		# The package's own scripts may have started it as it installed.
		say "cluster $ver/$name is running already; reloading it: pg_ctlcluster $ver $name reload"
		pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" reload ||
			{ say "pg_ctlcluster reload failed"; return 1; }
	else
		say "starting cluster $ver/$name: pg_ctlcluster --skip-systemctl-redirect $ver $name start"
		pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start ||
			{ say "pg_ctlcluster failed; see /var/log/postgresql/postgresql-$ver-$name.log"; return 1; }
	fi
	wait_up || { say "cluster $ver/$name started but does not answer on $port"; return 1; }
	say "PostgreSQL $ver ($name) is running on port $port"
}

# temp_server runs initdb and pg_ctl in LEDGER_POSTGRES_DIR.
temp_server() {
	local bin dir run=()
	if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
		bin="$(dirname "$(command -v initdb)")"
	else
		bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
	fi
	[ -n "$bin" ] && [ -x "$bin/initdb" ] || { say "no initdb found for a server in a temporary directory"; return 1; }
	dir="${LEDGER_POSTGRES_DIR:-/tmp/ledger-postgres-$port}"
	if [ "$(id -u)" = 0 ]; then
		# The server refuses to run as root.
		id postgres >/dev/null 2>&1 || { say "running as root and there is no postgres user to run initdb"; return 1; }
		run=(runuser -u postgres --)
		mkdir -p "$dir" && chown postgres "$dir" && chmod 700 "$dir"
	else
		mkdir -p "$dir" && chmod 700 "$dir"
	fi
	if [ ! -f "$dir/PG_VERSION" ]; then
		say "initdb in $dir (superuser $user, trust authentication)"
		"${run[@]}" "$bin/initdb" -D "$dir" -U "$user" -A trust -E UTF8 --no-sync >"$dir.initdb.log" 2>&1 ||
			{ say "initdb failed; see $dir.initdb.log"; return 1; }
	fi
	say "starting it: pg_ctl -D $dir start (port $port, log $dir/server.log)"
	"${run[@]}" "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 30 \
		-o "-p $port -c listen_addresses=$host -k $dir" start >/dev/null ||
		{ say "pg_ctl start failed; see $dir/server.log"; return 1; }
	say "PostgreSQL is running from $dir on port $port; stop it with: ${run[*]} $bin/pg_ctl -D $dir stop"
}

if debian_cluster || temp_server; then
	if can_log_in; then
		say "ready: $user can log in at $host:$port"
	else
		say "a server runs at $host:$port, but $user cannot log in with the URL given"
	fi
else
	give_up "could not start PostgreSQL at $host:$port"
fi
exit 0
