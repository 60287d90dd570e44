// The side-by-side table of a search point, as text (terminal) or Markdown rows. Pure.
import type { RunPoint } from '../results/schema.js';
import type { Ratio } from '../search/ratios.js';
import { relayTitle } from '@mcr/mcr-lab';
import { relayInSoftirq } from '@mcr/netns-lab';
import { describeRatio, directRatioName } from '../search/ratios.js';
import { describeFigure, type RateFigure, type RelaySearch } from '../search/search.js';
import { describeSpread, spread, type Spread } from '../search/spread.js';

// Every figure at a rate is the median of the trials at that rate with min-max beside it (search and
// confirmation trials; `n/k` = trials passing / trials at that rate).
// `NDR / direct`: the relay's NDR as a fraction of the direct wire's in the same run.
export const COLUMNS = [
  'relay', 'NDR (zero-loss trials)', 'NDR / direct', 'PDR (passing trials)', 'loss @PDR', 'p50 @PDR', 'p99 @PDR', 'relay CPU/pkt @PDR',
  'machine CPU/pkt @PDR', 'duplicates', 'trials', 'stop',
] as const;

/** A figure's value at its rate: the confirmation's spread when present, else the single trial's. */
function at(f: RateFigure | null, pick: (f: RateFigure) => Spread | null | undefined, single: (f: RateFigure) => number | null | undefined): Spread | null {
  if (!f) return null;
  return pick(f) ?? spread([single(f)]);
}

const rateWithTrials = (f: RateFigure | null, floorPps?: number): string =>
  `${describeFigure(f, floorPps)}${f?.atRate ? ` (${f.atRate.passes}/${f.atRate.trials})` : ''}`;

export function tableRow(r: RelaySearch, floorPps?: number, ratios: readonly Ratio[] = []): string[] {
  const title = relayTitle(r.relay);
  if (r.unavailable !== undefined) return [title, `unavailable: ${r.unavailable}`, ...COLUMNS.slice(2).map(() => '-')];
  // A search that failed has no figure: `error`, never a rate (a relay that delivered nothing is broken, not slow).
  const figure = (f: RateFigure | null) => (f === null && r.error !== undefined ? 'error' : rateWithTrials(f, floorPps));
  const direct = ratios.find((x) => x.name === directRatioName(r.relay) && x.metric === 'ndr');
  const p = r.pdr;
  const relayCpu = at(p, (f) => f.atRate?.relayCpuPerPacketUs, (f) => f.relayCpuPerPacketUs ?? (f as { cpuPerPacketUs?: number | null }).cpuPerPacketUs);
  const search = r.trials.filter((t) => t.rung > 0).length;
  return [
    title,
    figure(r.ndr),
    r.relay === 'direct' ? '1' : direct ? describeRatio(direct) : '-',
    figure(p),
    p ? describeSpread(at(p, (f) => f.atRate?.lossPct, (f) => f.lossPct), 3, '%') : '-',
    describeSpread(at(p, (f) => f.atRate?.p50Us, () => null), 0, 'us'),
    describeSpread(at(p, (f) => f.atRate?.p99Us, (f) => f.p99Us), 0, 'us'),
    !p ? '-' : relayCpu ? describeSpread(relayCpu, 2, 'us') : relayInSoftirq(r.relay) ? 'n/a (softirq)' : 'n/a',
    !p ? '-' : relayOrNa(at(p, (f) => f.atRate?.machineCpuPerPacketUs, (f) => f.machineCpuPerPacketUs)),
    String(r.duplicatesTotal),
    `${search} search + ${r.trials.length - search} confirm`,
    r.error ? `error: ${r.error.split('\n')[0]!.slice(0, 60)}` : r.stop,
  ];
}

const relayOrNa = (s: Spread | null): string => (s ? describeSpread(s, 2, 'us') : 'n/a');

export function textTable(header: readonly string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n';
}

export function markdownTable(header: readonly string[], rows: string[][]): string {
  const cell = (c: string): string => c.replace(/\|/g, '\\|');
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n') + '\n';
}

export function ratioLines(point: RunPoint): string[] {
  return point.ratios.map((r) => `${r.name} ${r.metric.toUpperCase()}: ${describeRatio(r)}`);
}

/** The family as a table title says it: nothing for IPv4 (every result before --family), `IPv6` otherwise. */
export const familyTitle = (family: string | undefined): string => (family === 'ipv6' ? 'IPv6' : '');

/** A point's table title: its label, then the family when it is IPv6 (`streams=10, IPv6`). */
export const pointTitle = (point: RunPoint, family?: string): string => [point.label, familyTitle(family)].filter(Boolean).join(', ');

export function renderPointText(point: RunPoint, floorPps?: number, family?: string): string {
  const rows = point.relays.map((r) => tableRow(r, floorPps, point.ratios));
  const ratios = ratioLines(point);
  return `${pointTitle(point, family)}\n${textTable(COLUMNS, rows)}${ratios.length ? ratios.join('   ') + '\n' : ''}`;
}

/** Sweep summary: one row per point, the PDR of each relay. */
export function sweepRows(points: RunPoint[]): { header: string[]; rows: string[][] } {
  const names = [...new Set(points.flatMap((p) => p.relays.filter((r) => r.unavailable === undefined).map((r) => r.relay)))];
  // Ratios by name as the points have them (`mcr/kernel` in results written before the in-kernel family).
  const ratioNames = [...new Set(points.flatMap((p) => p.ratios.filter((x) => x.name.startsWith('mcr/') && x.metric === 'pdr').map((x) => x.name)))];
  const header = ['point', ...names.map((n) => `${relayTitle(n)} PDR`), ...names.map((n) => `${relayTitle(n)} dups`), ...ratioNames];
  const rows = points.map((p) => [
    p.label,
    ...names.map((n) => describeFigure(p.relays.find((r) => r.relay === n)?.pdr ?? null)),
    ...names.map((n) => String(p.relays.find((r) => r.relay === n)?.duplicatesTotal ?? '-')),
    ...ratioNames.map((name) => {
      const r = p.ratios.find((x) => x.name === name && x.metric === 'pdr');
      return r ? describeRatio(r) : '-';
    }),
  ]);
  return { header, rows };
}
