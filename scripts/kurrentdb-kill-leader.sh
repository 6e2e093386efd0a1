#!/bin/sh
# Kills the leader of the three-node KurrentDB cluster of
# eventstore/kurrentdb/cluster.compose.yml (docker compose kill), for the
# leader-kill test: it asks each node's /info which one is the leader.
# Prints the node it killed. Start it again with
#   docker compose -f eventstore/kurrentdb/cluster.compose.yml start NODE
set -eu
compose="$(dirname "$0")/../eventstore/kurrentdb/cluster.compose.yml"
for n in 1 2 3; do
	if curl -fsS "http://127.0.0.1:211$n/info" 2>/dev/null | grep -q '"state": *"leader"'; then
		docker compose -f "$compose" kill "node$n" >/dev/null
		echo "node$n"
		exit 0
	fi
done
echo "no node of the cluster says it is the leader" >&2
exit 1
