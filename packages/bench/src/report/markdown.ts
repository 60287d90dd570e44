// The Markdown summary of a run, with the SVG charts it links (written beside it). Pure.
import { relayTitle } from '@mcr/mcr-lab';
import type { MachineFindings } from '../lab.js';
import type { BenchResult, RunPoint } from '../results/schema.js';
import { renderFirstPacket, renderGroupCapacity } from './rfc3918.js';
import { renderJoinLeaveMarkdown } from './join-leave.js';
import { renderLatencyMarkdown } from '../latency/report.js';
import { deliveredVsOffered, sweep, type Series } from './series.js';
import { lineChartSvg } from './svg.js';
import { COLUMNS, familyTitle, markdownTable, pointTitle, ratioLines, sweepRows, tableRow } from './table.js';

export interface Chart {
  file: string;
  svg: string;
  title: string;
}

export function sweepParam(target: string): 'streams' | 'outputs' | 'workers' | null {
  return target === 'scaling' ? 'streams' : target === 'fanout' ? 'outputs' : target === 'workers' ? 'workers' : null;
}

export function charts(result: BenchResult, stem: string): Chart[] {
  const out: Chart[] = [];
  const param = sweepParam(result.target);
  if (param && result.points.length > 0) {
    const title = `Throughput (PDR) vs ${param}`;
    out.push({ file: `${stem}-sweep.svg`, title, svg: lineChartSvg(sweep(result.points, param), { title, xLabel: param, yLabel: 'PDR, kpps aggregate' }) });
  }
  result.points.forEach((p, i) => {
    const series: Series[] = deliveredVsOffered(p);
    if (series.every((s) => s.points.length === 0)) return;
    const title = `Delivered vs offered, ${p.label}`;
    out.push({
      file: `${stem}-delivered-${i}.svg`,
      title,
      svg: lineChartSvg(series, { title, xLabel: 'offered, kpps (achieved by the sender)', yLabel: 'delivered, kpps', diagonal: true }),
    });
  });
  return out;
}

function pointSection(p: RunPoint, floorPps: number, family?: string): string {
  const rows = p.relays.map((r) => tableRow(r, floorPps, p.ratios));
  let s = `### ${pointTitle(p, family)}\n\n${markdownTable(COLUMNS, rows)}\n`;
  const ratios = ratioLines(p);
  if (ratios.length) s += ratios.map((r) => `- ${r}`).join('\n') + '\n\n';
  const trialRows = p.relays.flatMap((r) =>
    r.trials.map((t) => [
      String(t.rung), r.relay, String(t.targetPps), t.achievedPps.toFixed(0), t.lossPct.toFixed(3), String(t.duplicates),
      String(t.reordered), t.latencyUs.p50 === null ? '-' : t.latencyUs.p50.toFixed(0), t.latencyUs.p99 === null ? '-' : t.latencyUs.p99.toFixed(0),
      t.relayCpuPerPacketUs === null ? '-' : t.relayCpuPerPacketUs.toFixed(2),
      t.machineCpuPerPacketUs === null || t.machineCpuPerPacketUs === undefined ? '-' : t.machineCpuPerPacketUs.toFixed(2),
      [t.verdict.ndrPass ? 'NDR' : '', t.verdict.pdrPass ? 'PDR' : 'fail', t.verdict.senderBound ? 'sender-bound' : ''].filter(Boolean).join(' '),
    ]),
  );
  if (trialRows.length) {
    s += `<details><summary>Trials (${trialRows.length})</summary>\n\n`;
    s += markdownTable(['rung (0: confirm)', 'relay', 'offered pps', 'achieved pps', 'loss %', 'dups', 'reordered', 'p50 us', 'p99 us', 'relay CPU/pkt us', 'machine CPU/pkt us', 'verdict'], trialRows);
    s += '\n</details>\n\n';
  }
  return s;
}

/** What the lab found this kernel can do, in one line (the results file has every probe and how it decided). */
export function machineLine(m: MachineFindings): string {
  const yes = (v: boolean | null) => (v === null ? '?' : v ? 'yes' : 'no');
  const f = m.features;
  const timer = 'error' in m.timer ? 'not measured' : `a ${m.timer.requestedUs} us sleep lasts ${m.timer.medianUs.toFixed(0)} us (median)`;
  return (
    `Kernel features (probed by the lab): IPv4 multicast routing ${yes(f.ipv4MulticastRouting.available)}, IPv6 ${yes(f.ipv6MulticastRouting.available)}, ` +
    `clsact ${yes(f.clsact.available)}, u32 ${yes(f.clsU32.available)}, mirred ${yes(f.actMirred.available)}, netem ${yes(f.netem.available)}, ` +
    `8021q ${yes(f.vlan8021q.available)}, fanout ignore-outgoing ${yes(f.fanoutIgnoreOutgoing.available)}; timer: ${timer}; ` +
    `socat ${m.tools.socat?.version ?? 'missing'}, smcroute ${m.tools.smcroute?.version ?? 'missing'}.`
  );
}

export function renderMarkdown(result: BenchResult, stem: string): { text: string; charts: { file: string; svg: string }[] } {
  const e = result.environment;
  const s = result.settings;
  const cs = charts(result, stem);
  const fam = familyTitle(s.family);
  let md = `# Bench run: ${result.target}${fam ? `, ${fam}` : ''} (${result.startedAt})\n\n`;
  md += `Machine: ${e.hostname}, ${e.cpuModel} x ${e.cpuCount}, kernel ${e.kernel}, Node ${e.node}, `;
  md += `commit ${e.gitCommit ?? 'unknown'}${e.gitDirty ? ' (dirty)' : ''}. Duration ${result.durationSec.toFixed(0)} s.\n\n`;
  if (e.machine) md += `${machineLine(e.machine)}\n\n`;
  if (result.points.length > 0) {
  md += `Settings: ${fam ? 'IPv6 streams (ff3e::1:<n> -> ff3e::9:<n>, fd00:: addresses), ' : ''}streams ${s.streams}, workers ${s.workers}, payload ${s.size} B, trials ${s.trialSeconds} s`;
  md += `${s.prime ? ' after priming (RFC 3918)' : ''}, relays ${s.relays.map(relayTitle).join(', ')}, PDR loss <= ${s.maxLossPct} %, `;
  md += `rungs ${s.rungs} between ${s.floorPps} and ${s.ceilingPps} pps${s.long ? ' (long mode, RFC 2544 trial length)' : ''}.\n\n`;
  md += 'NDR: highest rate with zero loss and no duplicate; PDR: highest with loss within the threshold and no duplicate. ';
  md += 'Rates are aggregate packets per second the sender achieved; ">= X (sender-bound)" means the sender could not offer more, ';
  md += 'so X is not the relay\'s limit. Relays were interleaved rung by rung in one run; compare ratios, not absolute numbers across runs.\n\n';
  }
  const param = sweepParam(result.target);
  if (param && result.points.length > 1) {
    const { header, rows } = sweepRows(result.points);
    md += `## Sweep\n\n${markdownTable(header, rows)}\n`;
  }
  if (result.points.length) md += '## Results\n\n' + result.points.map((p) => pointSection(p, s.floorPps, s.family)).join('');
  if (result.soak) {
    const k = result.soak;
    md += `## Soak: ${k.passed ? 'PASS' : 'FAIL'}\n\n${k.durationSec} s at ${k.ratePps} pps (${k.rateSource}), a rule added or removed every second.\n\n`;
    md += k.summary.map((line) => `- ${line}`).join('\n') + '\n\n';
    if (k.violations.length) md += k.violations.map((v) => `- **${v.metric}**: ${v.message}`).join('\n') + '\n\n';
  }
  if (result.joinLeave) md += `## Join and leave delay (RFC 3918 4.1-4.2)\n\n${renderJoinLeaveMarkdown(result.joinLeave)}\n`;
  if (result.groupCapacity) md += `## Group capacity (RFC 3918)\n\n\`\`\`\n${renderGroupCapacity(result.groupCapacity).trim()}\n\`\`\`\n\n`;
  if (result.firstPacket) md += `## First packets of fresh streams (RFC 3918)\n\n\`\`\`\n${renderFirstPacket(result.firstPacket).trim()}\n\`\`\`\n\n`;
  if (result.micro) {
    md += '## Native hot path (tinybench)\n\n';
    if (result.micro.skipped) md += `Skipped: ${result.micro.skipped}\n\n`;
    else
      md += markdownTable(
        ['task', 'rules', 'frames/call', 'ns/packet (native clock)', 'call mean ms', 'call p99 ms', 'samples'],
        result.micro.tasks.map((t) => [t.name, String(t.rules), String(t.frames), t.nsPerPacket.toFixed(1), t.callMeanMs.toFixed(4), t.callP99Ms.toFixed(4), String(t.samples)]),
      ) + '\n';
  }
  if (result.latency) md += `## Latency and CPU\n\n${renderLatencyMarkdown(result.latency, 3)}\n`;
  if (result.gate) md += gateSection(result.gate);
  if (cs.length) md += '## Charts\n\n' + cs.map((c) => `![${c.title}](${c.file})\n`).join('\n') + '\n';
  if (result.notes.length) md += '## Notes\n\n' + result.notes.map((n) => `- ${n}`).join('\n') + '\n';
  return { text: md, charts: cs.map(({ file, svg }) => ({ file, svg })) };
}

const round = (v: number): number => Math.round(v * 1000) / 1000;

function gateSection(g: NonNullable<BenchResult['gate']>): string {
  const st = g.settings;
  let md = `## Gate: ${g.error ? 'ERROR (could not decide)' : g.pass ? 'PASS' : 'FAIL'}\n\n`;
  md += `Candidate ${g.candidate.commit ?? '?'}${g.candidate.dirty ? ' (dirty)' : ''} against baseline ${g.baseline.commit ?? '?'}, `;
  md += `${st.pairs} interleaved pairs (ABBA) at ${st.fixedRatePps} pps (CPU, latency) and ${st.highRatePps} pps (throughput), ${st.streams} streams, ${st.trialSeconds} s trials. `;
  md += `A metric regresses when the median of its paired ratios is beyond its limit and at least ${st.consistency * 100} % of the pairs are worse.\n\n`;
  if (st.toleranceWidenedPct) md += `**Thresholds widened by ${st.toleranceWidenedPct} points (--tolerance).**\n\n`;
  const i = g.injection;
  if (i && 'injectedWorkNanos' in i) md += `**Negative control**: the candidate ran with testOnly.injectedWorkNanos ${i.injectedWorkNanos} (${i.regressionPct} % of the baseline's ${i.baselineRelayCpuPerPacketUs.toFixed(2)} us/packet).\n\n`;
  if (i && 'tcInjectedCostLoops' in i) md += `**Negative control**: the candidate ran with testOnly.tcInjectedCostLoops ${i.tcInjectedCostLoops} (${i.nsPerLoop.toFixed(2)} ns each: ${i.regressionPct} % of the baseline's machine CPU, ${i.baselineMachineCpuPerPacketUs.toFixed(2)} us/packet).\n\n`;
  if (g.error) md += `Error: ${g.error}\n\n`;
  md += markdownTable(['check', 'kind', 'result', 'value', 'limit', 'detail'], g.checks.map((c) => [
    c.metric, c.kind, c.pass ? 'pass' : 'FAIL', c.value === null ? '-' : String(round(c.value)), c.limit === null ? '-' : String(round(c.limit)), c.message,
  ])) + '\n';
  md += markdownTable(['metric', 'threshold %', 'limit', 'why'], st.metrics.map((m) => [m.label, String(m.thresholdPct), String(round(m.limit)), m.why])) + '\n';
  md += `<details><summary>Trials (${g.trials.length})</summary>\n\n`;
  md += markdownTable(['phase', 'pair', 'side', 'target pps', 'delivered pps', 'loss %', 'dups', 'p50 us', 'p99 us', 'relay CPU/pkt us', 'machine CPU/pkt us'], g.trials.map((t) => [
    t.phase, String(t.pair), t.side, String(t.targetPps), t.deliveredPps.toFixed(0), t.figures.lossPct.toFixed(3), String(t.figures.duplicates),
    String(t.figures.latencyUs.p50 ?? '-'), String(t.figures.latencyUs.p99 ?? '-'), t.figures.relayCpuPerPacketUs?.toFixed(2) ?? '-', t.figures.machineCpuPerPacketUs.toFixed(2),
  ]));
  return md + '\n</details>\n\n';
}
