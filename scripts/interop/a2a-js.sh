#!/usr/bin/env bash
# Installs the official A2A JavaScript SDK (@a2a-js/sdk 1.3.0) into DIR for
# internal/a2a's interop test: PARLEY_A2A_JS=DIR go test ./internal/a2a/
set -euo pipefail
dir="${1:-/tmp/parley-interop-a2a}"
mkdir -p "$dir"
cd "$dir"
[ -f package.json ] || echo '{"name":"parley-a2a-interop","private":true,"type":"module"}' > package.json
npm install --no-audit --no-fund --loglevel=error @a2a-js/sdk@1.3.0 >/dev/null
echo "$dir"
