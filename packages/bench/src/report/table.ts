// The side-by-side table of a search point, as text (terminal) or Markdown rows. Pure.
import type { RunPoint } from '../results/schema.js';
import { describeRatio } from '../search/ratios.js';
import { describeFigure, type RelaySearch } from '../search/search.js';

export const COLUMNS = ['relay', 'NDR', 'PDR', 'loss @PDR', 'duplicates', 'reordered @PDR', 'p99 @PDR', 'CPU/pkt @PDR', 'stop'] as const;

const us = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : `${v.toFixed(1)} us`);

export function tableRow(r: RelaySearch, floorPps?: number): string[] {
  const p = r.pdr;
  return [
    r.relay,
    describeFigure(r.ndr, floorPps),
    describeFigure(r.pdr, floorPps),
    p ? `${p.lossPct.toFixed(3)} %` : '-',
    String(r.duplicatesTotal),
    p ? String(p.reordered) : '-',
    us(p?.p99Us),
    p ? (p.cpuPerPacketUs === null ? 'n/a (softirq)' : us(p.cpuPerPacketUs)) : '-',
    r.error ? `error: ${r.error.split('\n')[0]!.slice(0, 60)}` : r.stop,
  ];
}

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

export function renderPointText(point: RunPoint, floorPps?: number): string {
  const rows = point.relays.map((r) => tableRow(r, floorPps));
  const ratios = ratioLines(point);
  return `${point.label}\n${textTable(COLUMNS, rows)}${ratios.length ? ratios.join('   ') + '\n' : ''}`;
}

/** Sweep summary: one row per point, the PDR of each relay. */
export function sweepRows(points: RunPoint[]): { header: string[]; rows: string[][] } {
  const names = [...new Set(points.flatMap((p) => p.relays.map((r) => r.relay)))];
  const header = ['point', ...names.map((n) => `${n} PDR`), ...names.map((n) => `${n} dups`), 'mcr/socat', 'mcr/kernel'];
  const rows = points.map((p) => [
    p.label,
    ...names.map((n) => describeFigure(p.relays.find((r) => r.relay === n)?.pdr ?? null)),
    ...names.map((n) => String(p.relays.find((r) => r.relay === n)?.duplicatesTotal ?? '-')),
    ...['mcr/socat', 'mcr/kernel'].map((name) => {
      const r = p.ratios.find((x) => x.name === name && x.metric === 'pdr');
      return r ? describeRatio(r) : '-';
    }),
  ]);
  return { header, rows };
}
