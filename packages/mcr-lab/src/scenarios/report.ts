// The report every scenario returns, the per-trial threshold checks, and the text renderer.
import type { TrialResult } from '../bed/index.js';
import type { ScenarioName, ScenarioOptions } from './options.js';

export interface Violation {
  /** Global stream index, when the violation is about one stream. */
  stream?: number;
  metric: string;
  value: number;
  threshold: number;
  message: string;
}

export type Row = Record<string, string | number | boolean | null>;

export interface ScenarioReport {
  scenario: ScenarioName;
  passed: boolean;
  /** The normalised options (without the progress callback). */
  options: Omit<ScenarioOptions, 'onProgress'>;
  violations: Violation[];
  /** Table: column order, then rows keyed by column. */
  columns: string[];
  rows: Row[];
  /** Lines printed above the table (e.g. measured delays). */
  summary: string[];
  details: Record<string, unknown>;
}

export function makeReport(o: ScenarioOptions, parts: Pick<ScenarioReport, 'violations' | 'columns' | 'rows' | 'summary' | 'details'>): ScenarioReport {
  const { onProgress: _p, ...options } = o;
  return { scenario: o.scenario, passed: parts.violations.length === 0, options, ...parts };
}

/** A trial's summed figures without the per-stream rows (those go in the report's table). */
export function trialTotals(r: TrialResult): Omit<TrialResult, 'perStream'> {
  const { perStream: _rows, ...totals } = r;
  return totals;
}

const pct = (x: number) => `${x.toFixed(x !== 0 && x < 0.01 ? 4 : 2)} %`;

/**
 * Correctness thresholds for one trial, per stream and sink: loss <= maxLoss, duplicates <= maxDup,
 * no foreign (cross-talk) and no corrupt packets. `context` prefixes messages (e.g. "socat, 5 streams").
 */
export function checkTrial(r: TrialResult, o: Pick<ScenarioOptions, 'maxLoss' | 'maxDup'>, context = ''): Violation[] {
  const v: Violation[] = [];
  const pre = context ? `${context}: ` : '';
  if (r.sent === 0) v.push({ metric: 'sent', value: 0, threshold: 1, message: `${pre}the source sent nothing` });
  for (const s of r.perStream) {
    const where = `${pre}stream ${s.stream} (${s.group}:${s.port}${r.perStream.some((x) => x.sink > 0) ? `, sink ${s.sink}` : ''})`;
    if (s.lossPct > o.maxLoss) {
      v.push({ stream: s.stream, metric: 'lossPct', value: s.lossPct, threshold: o.maxLoss,
        message: `${where}: loss ${pct(s.lossPct)} (${s.missing} of ${s.sent} missing) > max ${o.maxLoss} %, by ${pct(s.lossPct - o.maxLoss)}` });
    }
    if (s.duplicates > o.maxDup) {
      v.push({ stream: s.stream, metric: 'duplicates', value: s.duplicates, threshold: o.maxDup,
        message: `${where}: ${s.duplicates} duplicates > max ${o.maxDup}, by ${s.duplicates - o.maxDup}` });
    }
    if (s.foreign > 0) {
      v.push({ stream: s.stream, metric: 'foreign', value: s.foreign, threshold: 0,
        message: `${where}: ${s.foreign} packets of other streams (cross-talk) > 0` });
    }
    if (s.corrupt > 0) {
      v.push({ stream: s.stream, metric: 'corrupt', value: s.corrupt, threshold: 0, message: `${where}: ${s.corrupt} corrupt packets > 0` });
    }
  }
  return v;
}

const r2 = (x: number | null) => (x === null ? null : Math.round(x * 100) / 100);

/** One table row summarising a trial. */
export function trialRow(r: TrialResult, extra: Row = {}): Row {
  return {
    ...extra,
    streams: r.streams,
    sent: r.sent,
    received: r.received,
    unique: r.unique,
    dup: r.duplicates,
    missing: r.missing,
    'loss%': r2(r.lossPct),
    foreign: r.foreign,
    offered: r.offeredPps,
    achieved: Math.round(r.achievedPps),
    senderBound: r.senderBound,
    p50us: r2(r.latencyUs.p50),
    p99us: r2(r.latencyUs.p99),
    'relay cpu/pkt us': r2(r.relayCpuPerPacketUs),
    'machine cpu/pkt us': r2(r.machineCpuPerPacketUs),
  };
}
export const TRIAL_COLUMNS = ['streams', 'sent', 'received', 'unique', 'dup', 'missing', 'loss%', 'foreign', 'offered', 'achieved', 'senderBound', 'p50us', 'p99us', 'relay cpu/pkt us', 'machine cpu/pkt us'];

/** Per-stream rows of a trial (multi-stream's table). */
export function streamRows(r: TrialResult): Row[] {
  return r.perStream.map((s) => ({
    stream: s.stream,
    sink: s.sink,
    group: `${s.group}:${s.port}`,
    sent: s.sent,
    received: s.received,
    unique: s.unique,
    dup: s.duplicates,
    missing: s.missing,
    'loss%': r2(s.lossPct),
    foreign: s.foreign,
    corrupt: s.corrupt,
    p99us: r2(s.latencyUs.p99),
  }));
}
export const STREAM_COLUMNS = ['stream', 'sink', 'group', 'sent', 'received', 'unique', 'dup', 'missing', 'loss%', 'foreign', 'corrupt', 'p99us'];

const MAX_ROWS = 60;
const MAX_VIOLATIONS = 30;

/** The human text: summary lines, an aligned table, the violations, PASS/FAIL. */
export function renderReport(rep: ScenarioReport): string {
  const cell = (v: unknown) => (v === null || v === undefined ? '-' : String(v));
  const rows = rep.rows.length > MAX_ROWS ? rep.rows.slice(0, MAX_ROWS) : rep.rows;
  const widths = rep.columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padStart(widths[i]!)).join('  ').trimEnd();
  const out = [`scenario ${rep.scenario}${rep.options.injectBug ? ` (inject-bug ${rep.options.injectBug})` : ''}`, ...rep.summary.map((s) => `  ${s}`), ''];
  if (rep.columns.length) {
    out.push(line(rep.columns), line(widths.map((w) => '-'.repeat(w))));
    for (const r of rows) out.push(line(rep.columns.map((c) => cell(r[c]))));
    if (rep.rows.length > rows.length) out.push(`... ${rep.rows.length - rows.length} more rows (--json FILE has them all)`);
    out.push('');
  }
  if (rep.violations.length) {
    out.push(`${rep.violations.length} violation(s):`);
    for (const v of rep.violations.slice(0, MAX_VIOLATIONS)) out.push(`  - ${v.message}`);
    if (rep.violations.length > MAX_VIOLATIONS) out.push(`  ... ${rep.violations.length - MAX_VIOLATIONS} more (--json FILE has them all)`);
  }
  out.push(rep.passed ? 'PASS' : 'FAIL');
  return out.join('\n');
}
