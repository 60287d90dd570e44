#!/usr/bin/env bash
# Regression gate (CI): a short interleaved comparison of mcr, socat and kernel routing, checked
# against the committed results/baseline.json. Exit 0 pass, 1 regression (what moved is printed),
# 2 no baseline or a usage error. Extra arguments go to the bench, e.g. --tolerance 30.
# To record a new baseline on the reference machine: ./tools/gate.sh --update-baseline
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true
exec npx nx run bench:gate --outputStyle=stream "$@"
