#!/bin/sh
# nodes.sh N [SCHEMA] — start N `parley serve` processes on one PostgreSQL
# schema (made fresh; dropped first if it exists), listening on
# 127.0.0.1:18081 … 1808N, with an owner, a full API token and one inbox.
# Prints the lines to source: PIDS, TOKEN, INBOX and URLS. Stop them with
# `kill $PIDS`.
#
#   PARLEY=/tmp/parley PG='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' \
#     scripts/load/nodes.sh 2 > /tmp/nodes.env && . /tmp/nodes.env
#
# PG=sqlite starts one node on a fresh SQLite data dir ($PARLEY_DATA_DIR,
# default /tmp/parley-nodes-data, emptied first) instead.
#
# Each node logs to /tmp/parley-node-N.log. Build the binary first:
# go build -o /tmp/parley ./cmd/parley
set -eu
N=${1:?usage: nodes.sh N [SCHEMA]}
SCHEMA=${2:-parley_nodes}
PARLEY=${PARLEY:-/tmp/parley}
PG=${PG:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
export PARLEY_SECRET_KEY=${PARLEY_SECRET_KEY:-load-test-secret-key-0123456789abcdef}
export PARLEY_DATA_DIR=${PARLEY_DATA_DIR:-/tmp/parley-nodes-data}
if [ "$PG" = sqlite ]; then
	[ "$N" = 1 ] || { echo "SQLite is one process: N must be 1" >&2; exit 2; }
	rm -rf "$PARLEY_DATA_DIR"
else
	export PARLEY_DATABASE_URL="$PG&search_path=$SCHEMA"
	# psql knows nothing of Parley's own URL parameters (pool_max_conns, parley_*).
	PSQL_URL=$(echo "$PG" | sed -E 's/[?&](pool_max_conns|parley_[a-z_]+)=[0-9]+//g; s/^([^?]*)&/\1?/')
	psql "$PSQL_URL" -qc "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" -c "CREATE SCHEMA $SCHEMA" >&2
fi
mkdir -p "$PARLEY_DATA_DIR"
"$PARLEY" migrate >&2
"$PARLEY" agent create --email owner@load.test --name Owner --role owner >/dev/null
TOKEN=$("$PARLEY" token create --name load --agent-email owner@load.test --scope full | grep -o 'prly_[A-Za-z0-9_-]*' | head -1)

PIDS=""
URLS=""
i=1
while [ "$i" -le "$N" ]; do
	"$PARLEY" serve --addr "127.0.0.1:1808$i" >"/tmp/parley-node-$i.log" 2>&1 &
	PIDS="$PIDS $!"
	URLS="$URLS http://127.0.0.1:1808$i"
	i=$((i + 1))
done
for u in $URLS; do
	tries=0
	until curl -sf "$u/healthz" >/dev/null 2>&1; do
		tries=$((tries + 1))
		[ "$tries" -lt 100 ] || { echo "node $u did not start" >&2; exit 1; }
		sleep 0.1
	done
done
first=$(echo "$URLS" | awk '{print $1}')
INBOX=$(curl -sf -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
	-d '{"name":"Load"}' "$first/api/v1/inboxes" | sed -n 's/.*"id":\([0-9]*\).*/\1/p' | head -1)
echo "PIDS='$PIDS'"
echo "TOKEN='$TOKEN'"
echo "INBOX='$INBOX'"
echo "URLS='$URLS'"
