#!/usr/bin/env bash
# The everyday loop (npm run test:fast), under 3 minutes on 2 cores: every package built (nx cache),
# the unit tests in parallel (vitest.unit.config.ts lists them), then a short serial smoke set on real
# namespaces: forwarding in both families and the control socket through `mcr run`, and one lab
# scenario through mcr-lab. The package graph is checked for cycles first. `npm test` stays the full suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true
start=$(date +%s)
npx nx run-many -t build --outputStyle=static >/dev/null
./tools/check-graph.sh
npx vitest run --config vitest.unit.config.ts
(cd packages/relay && npx vitest run test/e2e/forwarding.test.ts test/e2e/forwarding6.test.ts test/e2e/control.test.ts)
(cd packages/mcr-lab && npx vitest run test/scenarios/scenarios.test.ts -t "multi-stream passes")
./tools/check-leftovers.sh
echo "test:fast: done in $(( $(date +%s) - start )) s"
