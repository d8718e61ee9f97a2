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
# GEN=wrk runs wrk with ingest.lua instead (one thread per node's share
# of the two cores, CLIENTS connections in all), a generator that shares
# no code with Parley; its requests per second are the node's figure.
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
	if [ "${GEN:-}" = wrk ]; then
		wrk -t$((2 / N > 0 ? 2 / N : 1)) -c"$per" -d"$DURATION" --latency -s "$dir/ingest.lua" "$u/api/v1/inboxes/$INBOX/incoming" -- "$TOKEN" >"/tmp/pg-nodes-$i.out" 2>&1 &
	else
		"$LOAD" ingest --url "$u" --token "$TOKEN" --inbox "$INBOX" --clients "$per" --duration "$DURATION" ${LOAD_ARGS:-} >"/tmp/pg-nodes-$i.out" 2>&1 &
	fi
	GENS="$GENS $!"
done
wait $GENS
total=0
i=0
for u in $URLS; do
	i=$((i + 1))
	if [ "${GEN:-}" = wrk ]; then
		# wrk: "N requests in …", "Requests/sec: R", the 50/90/99% lines; a
		# non-2xx answer is no message stored.
		n=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "/tmp/pg-nodes-$i.out")
		bad=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "/tmp/pg-nodes-$i.out")
		rate=$(sed -n 's/^Requests\/sec: *\([0-9]*\).*/\1/p' "/tmp/pg-nodes-$i.out")
		line="  requests ${n:-0}  ok $((${n:-0} - ${bad:-0}))  ${rate:-0} ok/s (wrk)"
		[ -z "${bad:-}" ] || rate=0 # never count a run with failures
		echo "node $i ($u):$line"
		grep -E "^ +(50|90|99)%" "/tmp/pg-nodes-$i.out" | tr -s ' ' | tr '\n' ' ' | sed 's/^/  latency /'
		echo
	else
		line=$(grep "ok/s" "/tmp/pg-nodes-$i.out" || echo "  failed: $(tail -1 /tmp/pg-nodes-$i.out)")
		echo "node $i ($u):$line"
		grep "latency" "/tmp/pg-nodes-$i.out" || true
		rate=$(echo "$line" | sed -n 's/.* \([0-9][0-9]*\) ok\/s.*/\1/p')
	fi
	total=$((total + ${rate:-0}))
done
echo "total: $total messages/s over $N node(s), $CLIENTS clients"
PG=${PG:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
psql "${PG%%\?*}?sslmode=disable" -qc "DROP SCHEMA IF EXISTS pgnodes$N CASCADE" >/dev/null 2>&1 || true
