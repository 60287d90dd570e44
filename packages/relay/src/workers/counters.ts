import type { RuleCounters, WorkerCounters } from '@mcr/relay-native';

const SCALARS = ['framesSeen', 'matched', 'noMatch', 'malformed', 'fragments', 'forwarded', 'txErrors', 'kernelPackets', 'kernelDrops'] as const;
export type ScalarCounter = (typeof SCALARS)[number];

export function emptyCounters(): WorkerCounters {
  return { framesSeen: 0, matched: 0, noMatch: 0, malformed: 0, fragments: 0, forwarded: 0, txErrors: 0, kernelPackets: 0, kernelDrops: 0, rules: [] };
}

/** Sums worker counters; per-rule counters are summed by rule id, outputs by position. */
export function addCounters(a: WorkerCounters, b: WorkerCounters): WorkerCounters {
  const out = emptyCounters();
  for (const key of SCALARS) out[key] = a[key] + b[key];
  out.rules = mergeRules([...a.rules, ...b.rules]);
  return out;
}

export function mergeRules(rules: RuleCounters[]): RuleCounters[] {
  const byId = new Map<string, RuleCounters>();
  for (const r of rules) {
    const sum = byId.get(r.id);
    if (!sum) {
      byId.set(r.id, { id: r.id, matched: r.matched, bytes: r.bytes, outputs: r.outputs.map((o) => ({ ...o })) });
      continue;
    }
    sum.matched += r.matched;
    sum.bytes += r.bytes;
    r.outputs.forEach((o, i) => {
      const s = sum.outputs[i];
      if (s) {
        s.packets += o.packets;
        s.bytes += o.bytes;
        s.txErrors += o.txErrors;
      } else sum.outputs[i] = { ...o };
    });
  }
  return [...byId.values()];
}

export { SCALARS as SCALAR_COUNTERS };
