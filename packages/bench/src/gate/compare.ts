// The regression gate's decision: a run against the committed baseline. Pure.
// Correctness is absolute (mcr: no duplicate in any trial; loss within the threshold at the gated
// rate). Speed is relative to the other relays measured in the same run: the mcr/socat and
// mcr/kernel PDR ratios may not drop by more than the tolerance below the baseline's.
import type { BenchResult, GateCheck, GateOutcome, GateSettings } from '../results/schema.js';
import { describeRatio, type Ratio } from '../search/ratios.js';

const pct = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(1)} %`;

/** The best (highest) value of a ratio over a run's points: a regression must show in every repeat. */
export function bestRatio(result: BenchResult, name: string, metric: 'pdr' | 'ndr'): Ratio | undefined {
  const all = result.points.flatMap((p) => p.ratios.filter((r) => r.name === name && r.metric === metric));
  const valued = all.filter((r) => r.value !== null).sort((a, b) => b.value! - a.value!);
  return valued[0] ?? all[0];
}

export function compareWithBaseline(current: BenchResult, baseline: BenchResult, baselineFile: string, settings: GateSettings): GateOutcome {
  const checks: GateCheck[] = [];
  const mcrs = current.points.flatMap((p) => p.relays.filter((r) => r.relay === 'mcr'));

  // Correctness, absolute: every repeat, every trial.
  const confirm = current.gate?.confirm ?? null;
  const dups = mcrs.reduce((n, r) => n + r.duplicatesTotal, 0) + (confirm?.duplicatesTotal ?? 0);
  const measured = mcrs.length > 0;
  checks.push({
    metric: 'mcr duplicates',
    kind: 'correctness',
    pass: dups === 0 && measured,
    baseline: 0,
    current: measured ? dups : null,
    change: measured ? dups : null,
    message: !measured ? 'mcr was not measured in this run' : dups === 0 ? 'no duplicate, corrupt or foreign packet' : `${dups} duplicate/corrupt/foreign packet(s) delivered by mcr: must be 0`,
  });
  const t = confirm?.trials[0];
  checks.push({
    metric: `mcr loss @ ${settings.gatedRatePps} pps`,
    kind: 'correctness',
    pass: t !== undefined && t.lossPct <= settings.maxLossPct && t.sent > 0,
    baseline: settings.maxLossPct,
    current: t ? t.lossPct : null,
    change: t ? t.lossPct : null,
    message: !t
      ? `no trial at the gated rate (${confirm?.error ?? 'mcr not measured'})`
      : t.lossPct <= settings.maxLossPct
        ? `loss ${t.lossPct.toFixed(3)} % <= ${settings.maxLossPct} % (achieved ${t.achievedPps.toFixed(0)} pps)`
        : `loss ${t.lossPct.toFixed(3)} % exceeds ${settings.maxLossPct} % at ${settings.gatedRatePps} pps (achieved ${t.achievedPps.toFixed(0)} pps)`,
  });

  // Speed, relative to the other relays measured in the same run (best repeat on both sides).
  const names = [...new Set(baseline.points.flatMap((p) => p.ratios.filter((r) => r.metric === 'pdr').map((r) => r.name)))];
  for (const name of names) {
    checks.push(speedCheck(bestRatio(baseline, name, 'pdr')!, bestRatio(current, name, 'pdr'), settings.tolerancePct));
  }
  return { pass: checks.every((c) => c.pass), baselineFile, checks };
}

export function speedCheck(b: Ratio, c: Ratio | undefined, tolerancePct: number): GateCheck {
  const metric = `${b.name} ${b.metric.toUpperCase()} ratio`;
  const common = { metric, kind: 'speed' as const, baseline: b.value };
  if (b.value === null) return { ...common, pass: true, current: c?.value ?? null, change: null, message: 'baseline has no value: not gated' };
  if (!c || c.value === null) {
    return { ...common, pass: false, current: null, change: null, message: `${metric}: no value in this run (baseline ${describeRatio(b)})` };
  }
  const change = ((c.value - b.value) / b.value) * 100;
  const floor = b.value * (1 - tolerancePct / 100);
  const moved = `${describeRatio(b)} -> ${describeRatio(c)} (${pct(change)}, tolerance -${tolerancePct} %)`;
  if (c.value >= floor) return { ...common, pass: true, current: c.value, change, message: `${metric}: ${moved}` };
  // Below the floor. A lower bound (mcr was held back by the sender or the ceiling) proves nothing.
  if (c.kind === 'lower-bound' || c.kind === 'unknown') {
    return { ...common, pass: true, current: c.value, change, message: `${metric}: ${moved}; not a regression: mcr's figure is a lower bound (sender-bound or ceiling)` };
  }
  return { ...common, pass: false, current: c.value, change, message: `${metric} regressed: ${moved}` };
}

export function renderGate(o: GateOutcome): string {
  const lines = [`gate: ${o.pass ? 'PASS' : 'FAIL'} against ${o.baselineFile}`];
  for (const c of o.checks) lines.push(`  ${c.pass ? 'ok  ' : 'FAIL'} [${c.kind}] ${c.message}`);
  if (!o.pass) {
    lines.push('what moved:');
    for (const c of o.checks.filter((x) => !x.pass)) {
      lines.push(`  ${c.metric}: baseline ${c.baseline ?? '-'}, now ${c.current === null ? '-' : round(c.current)}${c.kind === 'speed' && c.change !== null ? ` (${pct(c.change)})` : ''}`);
    }
  }
  return lines.join('\n') + '\n';
}

const round = (v: number): number => Math.round(v * 1000) / 1000;
