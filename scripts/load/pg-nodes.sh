#!/bin/sh
# pg-nodes.sh N [CLIENTS] [DURATION] — PostgreSQL ingest through N parley
# processes on one fresh schema: starts them with nodes.sh, runs one
# `parley-load ingest` per node at the same time (CLIENTS in all, split
# evenly), prints each node's result and the total messages/s, and stops
# the nodes.
#
#   go build -o /tmp/parley ./cmd/parley && go build -o /tmp/parley-load ./cmd/parley-load
#   PG='postgres://postgres@127.0.0.1:5432/test?sslmode=disable&parley_writers=2' scripts/load/pg-nodes.sh 3
#
# LOAD_ARGS adds options to each generator (say --new-contacts 0.05).
set -eu
N=${1:?usage: pg-nodes.sh N [CLIENTS] [DURATION]}
CLIENTS=${2:-64}
DURATION=${3:-10s}
LOAD=${PARLEY_LOAD:-/tmp/parley-load}
dir=$(dirname "$0")
env=$(mktemp)
"$dir/nodes.sh" "$N" "pgnodes$N" >"$env"
. "$env"
rm -f "$env"
trap 'kill $PIDS 2>/dev/null' EXIT
per=$((CLIENTS / N))
i=0
GENS=""
for u in $URLS; do
	i=$((i + 1))
	"$LOAD" ingest --url "$u" --token "$TOKEN" --inbox "$INBOX" --clients "$per" --duration "$DURATION" ${LOAD_ARGS:-} >"/tmp/pg-nodes-$i.out" 2>&1 &
	GENS="$GENS $!"
done
wait $GENS
total=0
i=0
for u in $URLS; do
	i=$((i + 1))
	line=$(grep "ok/s" "/tmp/pg-nodes-$i.out" || echo "  failed: $(tail -1 /tmp/pg-nodes-$i.out)")
	echo "node $i ($u):$line"
	grep "latency" "/tmp/pg-nodes-$i.out" || true
	rate=$(echo "$line" | sed -n 's/.* \([0-9][0-9]*\) ok\/s.*/\1/p')
	total=$((total + ${rate:-0}))
done
echo "total: $total messages/s over $N node(s), $CLIENTS clients"
PG=${PG:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
psql "${PG%%\?*}?sslmode=disable" -qc "DROP SCHEMA IF EXISTS pgnodes$N CASCADE" >/dev/null 2>&1 || true
