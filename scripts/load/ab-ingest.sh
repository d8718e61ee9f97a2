#!/bin/sh
# ab-ingest.sh ROUNDS BIN_A BIN_B — PostgreSQL ingest of two parley builds,
# one run each in turn (ROUNDS times), each a fresh node and schema started
# by pg-nodes.sh with the generator in its own process. Prints each run's
# messages/s and the whole machine's busy CPU (/proc/stat: user, nice,
# system, irq, softirq, steal) per message stored, start-up and migration
# included, with the load average. GEN=wrk generates with wrk (see
# pg-nodes.sh).
#
#   go build -o /tmp/parley-load ./cmd/parley-load
#   PG='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' scripts/load/ab-ingest.sh 3 /tmp/parley-old /tmp/parley
set -eu
ROUNDS=${1:?usage: ab-ingest.sh ROUNDS BIN_A BIN_B}
A=${2:?usage: ab-ingest.sh ROUNDS BIN_A BIN_B}
B=${3:?usage: ab-ingest.sh ROUNDS BIN_A BIN_B}
dir=$(dirname "$0")
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
r=0
while [ "$r" -lt "$ROUNDS" ]; do
	r=$((r + 1))
	for bin in "$A" "$B"; do
		load=$(cut -d' ' -f1 /proc/loadavg)
		b0=$(busy)
		out=$(PARLEY="$bin" "$dir/pg-nodes.sh" 1 "${CLIENTS:-64}" "${DURATION:-15s}")
		b1=$(busy)
		total=$(echo "$out" | sed -n 's/^total: \([0-9]*\) .*/\1/p')
		ok=$(echo "$out" | sed -n 's/.*requests [0-9]*  ok \([0-9]*\) .*/\1/p')
		hz=$(getconf CLK_TCK)
		echo "round $r $bin: ${total} msgs/s, $(((b1 - b0) * 1000000 / hz / ok)) µs machine CPU a message, load average $load"
		sleep 3
	done
done
