#!/usr/bin/env bash
# Proof that the regression gate works, for a quiet machine: runs ./tools/gate.sh N times on this
# tree (each must exit 0) and N times with --inject-regression PCT (each must exit 1), alternating
# so drift hits both alike, and records how many of each were right in results/gate-proof.json
# (every run's own results file is kept under results/runs/ and named there). Exit 0 when at least
# 90 % of each kind were right (9 of 10), else 1.
#   ./tools/gate-proof.sh [N=10] [PCT=25]      about N x 2 x 2.5 min (50 min for N=10), after the
#                                              baseline's first build
# Smoke test of the script itself (figures meaningless):
#   GATE_ARGS="--pairs 2 --trial-seconds 0.5 --out /tmp/g" GATE_PROOF_OUT=/tmp/g/proof.json ./tools/gate-proof.sh 1
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10}
pct=${2:-25}
logs=$(mktemp -d /tmp/gate-proof-XXXXXX)
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
records=()
for i in $(seq 1 "$n"); do
  for kind in unchanged injected; do
    log="$logs/$i-$kind.log"
    read -r -a args <<<"${GATE_ARGS:-}"
    expected=0
    if [ "$kind" = injected ]; then args+=(--inject-regression "$pct"); expected=1; fi
    set +e
    ./tools/gate.sh ${args[@]+"${args[@]}"} >"$log" 2>&1
    code=$?
    set -e
    file=$(sed -n 's/^result: //p' "$log" | tail -1)
    right=false
    if [ "$code" -eq "$expected" ]; then right=true; fi
    echo "gate-proof: run $i $kind: exit $code (expected $expected) -> $([ $right = true ] && echo right || echo WRONG)${file:+, $file}"
    records+=("{\"run\":$i,\"kind\":\"$kind\",\"exit\":$code,\"expected\":$expected,\"right\":$right,\"file\":\"${file#"$(pwd)/"}\"}")
  done
done
joined=$(IFS=,; echo "${records[*]}")
OUT="${GATE_PROOF_OUT:-results/gate-proof.json}" RUNS="[$joined]" N="$n" PCT="$pct" STARTED="$started" node -e '
  const fs = require("fs");
  const { execFileSync } = require("child_process");
  const runs = JSON.parse(process.env.RUNS);
  const count = (k) => ({ runs: runs.filter((r) => r.kind === k).length, right: runs.filter((r) => r.kind === k && r.right).length });
  const unchanged = count("unchanged"), injected = count("injected");
  const git = (a) => { try { return execFileSync("git", a, { encoding: "utf8" }).trim(); } catch { return null; } };
  const out = {
    schema: "mcr-gate-proof/v1", startedAt: process.env.STARTED, finishedAt: new Date().toISOString(),
    commit: git(["rev-parse", "HEAD"]), dirty: (git(["status", "--porcelain"]) ?? "").length > 0,
    baselineCommit: JSON.parse(fs.readFileSync("results/baseline.json", "utf8")).commit,
    injectRegressionPct: Number(process.env.PCT),
    rule: "unchanged runs must exit 0, injected runs must exit 1; the proof holds with >= 90 % right of each",
    unchanged, injected, pass: unchanged.right >= 0.9 * unchanged.runs && injected.right >= 0.9 * injected.runs, runs,
  };
  fs.writeFileSync(process.env.OUT, JSON.stringify(out, null, 2) + "\n");
  console.log(`gate-proof: unchanged ${unchanged.right}/${unchanged.runs} right, injected ${injected.right}/${injected.runs} right -> ${out.pass ? "PASS" : "FAIL"} (${process.env.OUT})`);
  process.exit(out.pass ? 0 : 1);
'
