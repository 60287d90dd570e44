// bench:latency's tables, as Markdown (run summary, README section) or text (terminal). Pure.
import { relayInSoftirq } from '@mcr/netns-lab';
import { kpps } from '../search/search.js';
import { describeSpread, type Spread } from '../search/spread.js';
import { markdownTable, textTable } from '../report/table.js';
import {
  RUNG_LABELS,
  SUBJECT_LABELS,
  type CellStats,
  type LatencyCell,
  type LatencyMetric,
  type LatencyResult,
  type RungId,
  type TargetVerdict,
  type TcpNoiseResult,
} from './figures.js';

export interface Table {
  title: string;
  header: string[];
  rows: string[][];
  /** Sentences under the table. */
  notes: string[];
}

const us = (s: Spread | null | undefined, digits = 0): string => describeSpread(s, digits, 'us');
const pct = (s: Spread | null | undefined): string => describeSpread(s, 3, '%');
const times = (v: number | null): string => (v === null ? 'n/a' : `${v.toFixed(2)}x`);
const verdictWord = (met: boolean | null): string => (met === null ? 'not measured' : met ? 'met' : 'NOT met');

const METRIC_LABELS: Record<LatencyMetric, string> = {
  p50Us: 'p50',
  p99Us: 'p99',
  p999Us: 'p99.9',
  relayCpuPerPacketUs: 'relay CPU/pkt',
  machineCpuPerPacketUs: 'machine CPU/pkt',
};

/** `50.0 kpps` or, when the sender fell short, `50.0 kpps (achieved 41.2, sender-bound 2/5)`. */
function rateCell(c: LatencyCell): string {
  const s = c.stats;
  if (!s) return kpps(c.targetPps);
  return s.senderBoundTrials > 0 ? `${kpps(c.targetPps)} (achieved ${kpps(s.achievedPps.median)}, sender-bound ${s.senderBoundTrials}/${s.trials})` : kpps(c.targetPps);
}

function relayCpuCell(c: LatencyCell, s: CellStats): string {
  if (s.relayCpuPerPacketUs) return us(s.relayCpuPerPacketUs, 2);
  return relayInSoftirq(c.subject) ? 'n/a (softirq)' : '-';
}

const RUNG_ORDER: RungId[] = ['20k', '50k', 'half-ndr', 'bulk'];

export function cellsTable(l: LatencyResult): Table {
  const cells = [...l.cells]
    .filter((c) => c.rung !== 'bulk')
    .sort((a, b) => RUNG_ORDER.indexOf(a.rung) - RUNG_ORDER.indexOf(b.rung));
  const rows = cells.map((c) => {
    const s = c.stats;
    const head = [RUNG_LABELS[c.rung], SUBJECT_LABELS[c.subject], rateCell(c)];
    if (!s) return [...head, '-', '-', '-', '-', '-', '-', '0'];
    return [...head, us(s.p50Us), us(s.p99Us), us(s.p999Us), relayCpuCell(c, s), us(s.machineCpuPerPacketUs, 2), pct(s.lossPct), String(s.trials)];
  });
  for (const u of l.unavailable ?? []) rows.push(['every rate', u.title, `unavailable: ${u.reason}`, '-', '-', '-', '-', '-', '-', '0']);
  return {
    title: 'Added latency and CPU per packet by rate',
    header: ['rate', 'relay', 'offered', 'p50', 'p99', 'p99.9', 'relay CPU/pkt', 'machine CPU/pkt', 'loss', 'trials'],
    rows,
    notes: [
      `${l.streams === 1 ? 'One' : l.streams} ${l.size} B stream${l.streams === 1 ? '' : 's'} on the ${l.topology} topology, ${l.repeats} interleaved round${l.repeats === 1 ? '' : 's'} ` +
        `of ${l.trialSeconds} s trials. Each figure is the median over the trials with min-max; ` +
        'latency is one-way, send timestamp to receive (same clock). "Relay CPU" counts the relay\'s processes; "machine CPU" all ' +
        'busy CPU of the machine per delivered packet (sender and receiver included), which also charges kernel routing, done in the sender\'s softirq.',
      ...(cells.some((c) => c.rung === 'half-ndr') ? [`"${RUNG_LABELS['half-ndr']}": each relay at half its own NDR (${ndrText(l)}).`] : []),
    ],
  };
}

function ndrText(l: LatencyResult): string {
  const figures = l.ndr.map((n) => `${n.relay} ${n.pps === null ? 'none' : `${n.lowerBound ? '>= ' : ''}${kpps(n.pps)}`}`).join(', ');
  const source = l.ndrSource.kind === 'search' ? 'from a short search in this run' : `from ${l.ndrSource.file.split('/').pop()}`;
  return `NDR ${figures}, ${source}`;
}

/** `mcr/mcr-fixed` reads as what it compares: the default against the fixed window. */
const ratioName = (name: string, l: LatencyResult): string =>
  name === 'mcr/mcr-fixed' ? `mcr default / fixed ${l.bulk?.fixedWindowMicros ?? ''} us` : name;

export function ratiosTable(l: LatencyResult): Table | null {
  const rows = RUNG_ORDER.flatMap((rung) =>
    l.ratios.filter((x) => x.rung === rung).map((x) => [RUNG_LABELS[rung], ratioName(x.name, l), METRIC_LABELS[x.metric], times(x.value)]),
  );
  if (rows.length === 0) return null;
  return {
    title: 'Ratios of the medians',
    header: ['rate', 'ratio', 'metric', 'value'],
    rows,
    notes: rows.some((r) => r[0] === RUNG_LABELS['half-ndr']) ? [`At "${RUNG_LABELS['half-ndr']}" each relay runs at its own rate.`] : [],
  };
}

export function targetsTable(l: LatencyResult): Table {
  const rows = l.targets.map((t: TargetVerdict) => [t.text, `${t.name} ${times(t.value)}`, `<= ${t.limit}x`, verdictWord(t.met), t.caveats.join('; ') || '-']);
  return { title: 'Latency targets', header: ['target', 'measured', 'limit', 'verdict', 'caveats'], rows, notes: [] };
}

export function bulkTable(l: LatencyResult): Table | null {
  if (!l.bulk) return null;
  const b = l.bulk;
  // The default first, then the fixed window.
  const cells = l.cells.filter((c) => c.rung === 'bulk').sort((x, y) => (x.subject === 'mcr' ? -1 : 0) - (y.subject === 'mcr' ? -1 : 0));
  const name = (c: LatencyCell) => (c.subject === 'mcr' ? 'default (adaptive)' : `coalesceMicros ${b.fixedWindowMicros}`);
  const rows = cells.map((c) => {
    const s = c.stats;
    if (!s) return [name(c), rateCell(c), '-', '-', '-', '-', '-'];
    return [name(c), rateCell(c), relayCpuCell(c, s), us(s.machineCpuPerPacketUs, 2), us(s.p50Us), us(s.p99Us), pct(s.lossPct)];
  });
  const notes = [
    `mcr's default (adaptive) against a fixed ${b.fixedWindowMicros} us window (\`dataPlane.coalesceMicros: ${b.fixedWindowMicros}\`, a classic batching relay's setting) ` +
      `at ${kpps(b.ratePps)}: relay CPU per packet default/fixed ${times(b.relayCpuRatio)}.`,
  ];
  if (b.senderBound) notes.push(`The sender could not reach ${kpps(b.ratePps)} in every trial (sender-bound): the figures are at the rate it achieved.`);
  return { title: `mcr at ${kpps(b.ratePps)}: default against a fixed window`, header: ['mcr', 'offered', 'relay CPU/pkt', 'machine CPU/pkt', 'p50', 'p99', 'loss'], rows, notes };
}

export function tcpNoiseTable(l: LatencyResult): Table {
  const t = l.tcpNoise;
  if ('skipped' in t) return { title: 'mcr beside a TCP flow on its input', header: ['skipped'], rows: [[t.skipped]], notes: [] };
  const n: TcpNoiseResult = t;
  const gbit = n.tcpBitsPerSecond ? describeSpread({ ...n.tcpBitsPerSecond, median: n.tcpBitsPerSecond.median / 1e9, min: n.tcpBitsPerSecond.min / 1e9, max: n.tcpBitsPerSecond.max / 1e9 }, 2, 'Gbit/s') : '-';
  const row = (name: string, s: CellStats | null, frames: Spread | null, input: Spread | null, flow: string) => [
    name,
    flow,
    s ? `${kpps(s.achievedPps.median)}${s.senderBoundTrials > 0 ? ` (sender-bound ${s.senderBoundTrials}/${s.trials})` : ''}` : '-',
    s ? us(s.relayCpuPerPacketUs, 2) : '-',
    s ? us(s.machineCpuPerPacketUs, 2) : '-',
    s ? pct(s.lossPct) : '-',
    describeSpread(frames, 0),
    describeSpread(input, 0),
  ];
  const rise = n.relayCpuRise === null ? 'n/a' : `${n.relayCpuRise >= 0 ? '+' : ''}${(n.relayCpuRise * 100).toFixed(1)} %`;
  const notes = [
    `mcr at ${kpps(n.ratePps)} (one stream) with and without an iperf3 TCP flow from the source to the relay's input address, interleaved. ` +
      `Relay CPU per packet with the flow: ${rise}. The ring's kernel filter drops the TCP frames before userspace: they are not counted in ` +
      '`framesSeen` (which here counts the multicast frames, priming included), while the input interface received them all.',
  ];
  notes.push(
    n.flowReachedMinimum
      ? `Every flow carried at least ${n.minTcpBitsPerSecond / 1e9} Gbit/s.`
      : `The flow did not carry ${n.minTcpBitsPerSecond / 1e9} Gbit/s in every trial: the machine was too busy for the comparison.`,
  );
  return {
    title: 'mcr beside a TCP flow on its input',
    header: ['trials', 'TCP flow', 'multicast achieved', 'relay CPU/pkt', 'machine CPU/pkt', 'loss', 'framesSeen', 'input frames'],
    rows: [
      row(`without (${n.quiet?.trials ?? 0})`, n.quiet, n.framesSeen.quiet, n.inputFrames.quiet, 'none'),
      row(`with (${n.noisy?.trials ?? 0})`, n.noisy, n.framesSeen.noisy, n.inputFrames.noisy, gbit),
    ],
    notes,
  };
}

export function latencyTables(l: LatencyResult): Table[] {
  return [cellsTable(l), ratiosTable(l), targetsTable(l), bulkTable(l), tcpNoiseTable(l)].filter((t): t is Table => t !== null);
}

/** Markdown, headings at `level` (the README nests them under its own section). */
export function renderLatencyMarkdown(l: LatencyResult, level = 3): string {
  const h = '#'.repeat(level);
  return latencyTables(l)
    .map((t) => `${h} ${t.title}\n\n${markdownTable(t.header, t.rows)}${t.notes.length ? '\n' + t.notes.join(' ') + '\n' : ''}`)
    .join('\n');
}

export function renderLatencyText(l: LatencyResult): string {
  return latencyTables(l)
    .map((t) => `\n${t.title}\n${textTable(t.header, t.rows)}${t.notes.map((n) => `  ${n}\n`).join('')}`)
    .join('');
}
