import type { OutputCounters, RuleCounters, WorkerCounters } from '@mcr/relay-native';

const SCALARS = [
  'framesSeen',
  'matched',
  'noMatch',
  'malformed',
  'fragments',
  'forwarded',
  'txErrors',
  'kernelPackets',
  'kernelDrops',
  'ownFrames',
  'badChecksum',
  'ttlExpired',
  'rateLimited',
  'outputAbsent',
  'notListened',
  'extensionHeaders',
] as const;
export type ScalarCounter = (typeof SCALARS)[number];

/** The counters of one output (per rule, by position). */
export const OUTPUT_COUNTERS = ['packets', 'bytes', 'txErrors', 'notListened'] as const satisfies readonly (keyof OutputCounters)[];
export type OutputCounter = (typeof OUTPUT_COUNTERS)[number];

export function emptyCounters(): WorkerCounters {
  const c = Object.fromEntries(SCALARS.map((k) => [k, 0])) as Record<ScalarCounter, number>;
  return { ...c, rules: [] };
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
      byId.set(r.id, { id: r.id, matched: r.matched, bytes: r.bytes, rateLimited: r.rateLimited, outputs: r.outputs.map((o) => ({ ...o })) });
      continue;
    }
    sum.matched += r.matched;
    sum.bytes += r.bytes;
    sum.rateLimited += r.rateLimited;
    r.outputs.forEach((o, i) => {
      const s = sum.outputs[i];
      if (s) {
        for (const key of OUTPUT_COUNTERS) s[key] += o[key];
      } else sum.outputs[i] = { ...o };
    });
  }
  return [...byId.values()];
}

export { SCALARS as SCALAR_COUNTERS };
