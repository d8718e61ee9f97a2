#!/bin/sh
# Bytes per message, measured as the growth of a Parley database between
# two points of real ingest (HTTP API, 1 in 5 messages from a new
# contact, 20-word texts), so fixed costs (schema, empty indexes) cancel.
#
#   scripts/scaling/storage_check.sh sqlite
#   scripts/scaling/storage_check.sh postgres 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
#
# Starts `parley serve` on 127.0.0.1:18080 on a fresh SQLite data dir
# (or a fresh schema, scaling_storage, dropped at the end), ingests
# FIRST messages, prints the storage report, ingests SECOND more, prints
# it again. RATE keeps the load light (default 300/s); run it on a
# quiet machine. Needs psql or sqlite3, and Go to build the two tools.
set -eu
db=${1:?usage: storage_check.sh sqlite|postgres [URL]}
url=${2:-}
RATE=${RATE:-300}
FIRST=${FIRST:-3000}
SECOND=${SECOND:-6000}
ADDR=127.0.0.1:18080
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
export PARLEY_SECRET_KEY=$(head -c 32 /dev/urandom | base64)
(cd "$root" && go build -o "$work/parley" ./cmd/parley && go build -o "$work/parley-load" ./cmd/parley-load)

case $db in
sqlite)
	set -- --data-dir "$work/data"
	report() { sqlite3 -readonly "$work/data/parley.db" < "$here/storage_sqlite.sql"; }
	cleanup() { :; } ;;
postgres)
	: "${url:?postgres needs a URL}"
	psql "$url" -qc 'DROP SCHEMA IF EXISTS scaling_storage CASCADE; CREATE SCHEMA scaling_storage'
	case $url in *\?*) sep='&' ;; *) sep='?' ;; esac
	set -- --data-dir "$work/data" --database-url "${url}${sep}search_path=scaling_storage"
	report() { PGOPTIONS='-c search_path=scaling_storage' psql "$url" -f "$here/storage_postgres.sql"; }
	cleanup() { psql "$url" -qc 'DROP SCHEMA scaling_storage CASCADE'; } ;;
*) echo "usage: storage_check.sh sqlite|postgres [URL]" >&2; exit 2 ;;
esac

"$work/parley" migrate "$@" >/dev/null
token=$("$work/parley" token create --name scaling "$@" | tail -1)
"$work/parley" serve "$@" --addr "$ADDR" >"$work/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; cleanup; rm -rf "$work"' EXIT
for _ in 1 2 3 4 5 6 7 8 9 10; do curl -fsS "http://$ADDR/healthz" >/dev/null 2>&1 && break; sleep 0.5; done
inbox=$(curl -fsS -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
	-d '{"name":"Scaling check"}' "http://$ADDR/api/v1/inboxes" | sed -n 's/^{"id":\([0-9]*\).*/\1/p')

ingest() {
	"$work/parley-load" ingest --url "http://$ADDR" --token "$token" --inbox "$inbox" \
		--rate "$RATE" --clients 32 --requests "$1" --duration 10m --warmup 0s | grep -E 'requests|errors'
	sleep 2 # SQLite's search indexer runs 200 ms after commits
}
echo "== $(date -u +%FT%TZ) load average: $(cut -d' ' -f1-3 /proc/loadavg)"
ingest "$FIRST"
echo "== after $FIRST messages"; report
if [ "$db" = postgres ]; then
	lsn0=$(psql "$url" -qAtc 'SELECT pg_current_wal_lsn()')
fi
ingest "$SECOND"
echo "== after $FIRST + $SECOND messages"; report
if [ "$db" = postgres ]; then
	# Server-wide: meaningful only when nothing else writes to this server.
	psql "$url" -qAtc "SELECT 'WAL written during the second ingest (whole server): '
		|| pg_wal_lsn_diff(pg_current_wal_lsn(), '$lsn0') || ' bytes, '
		|| round(pg_wal_lsn_diff(pg_current_wal_lsn(), '$lsn0') / $SECOND) || ' per message'"
fi
if [ "$db" = postgres ]; then
	# What autovacuum does soon after: the GIN index's pending list is
	# merged into the index proper, and statistics are gathered.
	PGOPTIONS='-c search_path=scaling_storage' psql "$url" -qc 'VACUUM ANALYZE'
	echo "== after $FIRST + $SECOND messages and VACUUM ANALYZE"; report
	# The full-text index rebuilt compact: a lower bound for its size
	# (a live GIN index also keeps a pending list of up to 4 MB).
	PGOPTIONS='-c search_path=scaling_storage' psql "$url" -qAtc "REINDEX INDEX messages_search;
		SELECT 'messages_search after REINDEX: ' || pg_relation_size('messages_search') || ' bytes, '
		    || round(pg_relation_size('messages_search')::numeric / (SELECT count(*) FROM messages)) || ' per message'"
fi
echo "== $(date -u +%FT%TZ) load average: $(cut -d' ' -f1-3 /proc/loadavg)"
