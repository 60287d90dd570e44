#!/usr/bin/env bash
# Regression gate: this working tree's mcr (the candidate) against the baseline commit named in
# results/baseline.json, on this machine, in one run (packages/bench/src/targets/gate.ts).
#   ./tools/gate.sh                         exit 0 pass, 1 regression, 2 could not decide / usage
#   ./tools/gate.sh --inject-regression 25  negative control: the candidate burns 25 % more CPU per
#                                           packet (relay config testOnly.injectedWorkNanos); must exit 1
#   ./tools/gate.sh --relays mcr-tc         the same for the tc engine (machine CPU per packet in place
#                                           of relay CPU; --inject-regression then adds empty loop
#                                           iterations to its program: testOnly.tcInjectedCostLoops)
#   ./tools/gate.sh --update-baseline       name HEAD as the baseline commit (commit the file)
# Other flags go to the bench (--pairs N, --trial-seconds S, --tolerance PCT: announced and recorded).
#
# The baseline is built by tools/build-commit.sh (git archive into $MCR_GATE_CACHE/<commit>, default
# /var/tmp/mcr-gate, built once, reused). The lab runs it through its CLI only (bed option mcrBin).
# Expected duration on 2 cores: first run +2-4 min to build the baseline; then about 2.5 min
# (8 pairs x 2 rates x 2 builds of 2 s trials, plus 3 calibration trials with --inject-regression).
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true

npx nx run bench:build --outputStyle=static >&2
bench=(node packages/bench/dist/cli.js gate)

for a in "$@"; do
  if [ "$a" = "--update-baseline" ]; then exec "${bench[@]}" "$@"; fi
done

if ! commit=$(node -e '
  const b = JSON.parse(require("fs").readFileSync("results/baseline.json", "utf8"));
  if (b.schema !== "mcr-gate-baseline/v2" || typeof b.commit !== "string") process.exit(3);
  console.log(b.commit);' 2>/dev/null); then
  echo "gate: results/baseline.json does not name a baseline commit; write it with ./tools/gate.sh --update-baseline" >&2
  exit 2
fi
if ! full=$(git rev-parse --verify --quiet "${commit}^{commit}"); then
  echo "gate: baseline commit $commit (results/baseline.json) is not in this repository" >&2
  exit 2
fi

dir=$(./tools/build-commit.sh "$full")

exec "${bench[@]}" --baseline-bin "$dir/packages/relay/bin/mcr.js" --baseline-commit "$full" "$@"
