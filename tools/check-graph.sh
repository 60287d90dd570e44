#!/usr/bin/env bash
# No package depends on another in a cycle, by nx's project graph or by the packages' package.json
# files (tools/check-package-cycles.mjs). Run by `npm test` and `npm run test:fast`.
set -euo pipefail
cd "$(dirname "$0")/.."
graph=$(mktemp --suffix=.json /tmp/mcr-nx-graph.XXXXXX)
trap 'rm -f "$graph"' EXIT
NX_DAEMON=false NX_NO_CLOUD=true npx nx graph --file="$graph" >/dev/null
node tools/check-package-cycles.mjs "$graph"
