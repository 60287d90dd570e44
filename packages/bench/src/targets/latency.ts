// bench:latency: added latency and CPU per packet of mcr (as users run it), socat and kernel
// routing side by side, at 20 kpps, 50 kpps and half of each relay's NDR, one 1000 B stream on the
// chain, --repeats interleaved rounds (in every round each rate runs every relay, in rotating order,
// so drift of the shared machine hits all alike). Also mcr's default against a fixed 300 us window at
// 150 kpps, and mcr's CPU per packet beside an iperf3 TCP flow on its input (unless --no-tcp-noise).
// The NDRs come from a short interleaved search in this run (6 rungs of 1 s trials), or from a
// multi-stream results file (--ndr-from FILE).
import { readFile } from 'node:fs/promises';
import { openBedOrExplain, type Bed, type BedOptions, type OpenBed, type RelayName } from '../lab.js';
import {
  BULK_RATE_PPS,
  FIXED_RATES_PPS,
  FIXED_WINDOW_MICROS,
  RUNG_LABELS,
  SUBJECT_LABELS,
  TCP_NOISE_RATE_PPS,
  halfNdrRate,
  summariseLatency,
  tcpNoiseSummary,
  type LatencyCell,
  type LatencyResult,
  type LatencySubject,
  type NdrFigure,
  type RungId,
  type TcpNoiseTrial,
} from '../latency/figures.js';
import { renderLatencyText } from '../latency/report.js';
import { FLOW_TAIL_SECONDS, rxPackets, startTcpFlow, tcpFlowUnavailable } from '../latency/tcp-flow.js';
import { finishResult, makeResult, publish, startClock } from '../output.js';
import { parseResult, type BenchResult, type RunPoint } from '../results/schema.js';
import { trackBed, untrackBed } from '../runner.js';
import { mcrRatios } from '../search/ratios.js';
import { progressPrinter } from '../search/progress.js';
import { kpps, pickFigures, searchRates, summariseRates, type SearchConfig, type TrialRecord } from '../search/search.js';
import { verdict, type TrialFigures } from '../search/verdict.js';
import type { Settings } from '../settings.js';

/** The NDR search's trial length: short, since it only places the half-NDR rung. */
export const NDR_SEARCH_TRIAL_SECONDS = 1;

/** Seconds a trial costs beyond its sending time (priming, receivers, drain, CPU reads), and a bed's start. */
const TRIAL_OVERHEAD_SECONDS = 1.5;
const BED_SECONDS = 3;

/** How long a run with these settings takes, about (printed at the start; the defaults stay well under 15 min). */
export function estimateSeconds(s: Settings): number {
  const ladder = s.latencyRungs.reduce((n, rung) => n + rungOrder(rung, s.relays, 0).length, 0) * s.repeats * (s.trialSeconds + TRIAL_OVERHEAD_SECONDS);
  const search = s.latencyRungs.includes('half-ndr') && !s.ndrFrom ? s.rungs * s.relays.length * (NDR_SEARCH_TRIAL_SECONDS + TRIAL_OVERHEAD_SECONDS) : 0;
  // A flow trial also waits for the flow's lead and the rest of its tail.
  const tcp = s.tcpNoise && s.relays.includes('mcr') ? s.repeats * (2 * (s.trialSeconds + TRIAL_OVERHEAD_SECONDS) + FLOW_TAIL_SECONDS) : 0;
  const beds = (s.relays.length + (s.latencyRungs.includes('bulk') && s.relays.includes('mcr') ? 1 : 0)) * BED_SECONDS;
  return ladder + search + tcp + beds;
}

/** The bed options of every subject: one stream on the chain; mcr as users run it, or with the fixed window. */
export function subjectBedOptions(subject: LatencySubject, s: Settings): BedOptions {
  const base = { streams: s.streams, topology: 'chain' as const };
  if (subject === 'mcr' || subject === 'mcr-tc') return { ...base, relay: subject, workers: s.workers };
  if (subject === 'mcr-fixed') return { ...base, relay: 'mcr', workers: s.workers, mcrDataPlane: { coalesceMicros: FIXED_WINDOW_MICROS } };
  return { ...base, relay: subject };
}

/** The subjects measured at a rung, in the order of round `round` (rotating, so none is always first). */
export function rungOrder(rung: RungId, relays: readonly RelayName[], round: number): LatencySubject[] {
  const subjects: LatencySubject[] = rung === 'bulk' ? (relays.includes('mcr') ? ['mcr', 'mcr-fixed'] : []) : [...relays];
  if (subjects.length === 0) return subjects;
  const shift = round % subjects.length;
  return [...subjects.slice(shift), ...subjects.slice(0, shift)];
}

/** Each relay's NDR from a multi-stream results file: the point with the same stream count, else the first. */
export function ndrFromResult(result: BenchResult, relays: readonly RelayName[], streams: number, notes: string[], file: string): NdrFigure[] {
  const point = result.points.find((p) => p.params.streams === streams) ?? result.points[0];
  if (!point) throw new Error(`--ndr-from ${file}: the file has no search point`);
  if (point.params.streams !== streams) notes.push(`--ndr-from: ${file} has no point with ${streams} stream(s); its NDRs at ${point.label} were used`);
  // Results written before the in-kernel family had two members name smcroute `kernel`.
  const isRelay = (name: string, relay: RelayName) => name === relay || (relay === 'kernel-mfc' && name === 'kernel');
  return relays.map((relay) => {
    const f = point.relays.find((r) => isRelay(r.relay, relay))?.ndr ?? null;
    return { relay, pps: f?.pps ?? null, lowerBound: f ? f.senderBound || f.atCeiling : false };
  });
}

function trialLine(prefix: string, subject: LatencySubject, rate: number, r: TrialRecord): string {
  const cpu = r.relayCpuPerPacketUs === null ? 'n/a' : `${r.relayCpuPerPacketUs.toFixed(2)} us`;
  return (
    `${prefix} ${SUBJECT_LABELS[subject]} @ ${kpps(rate)}: achieved ${kpps(r.achievedPps)}${r.verdict.senderBound ? ' (sender-bound)' : ''}, ` +
    `loss ${r.lossPct.toFixed(3)} %, p50 ${r.latencyUs.p50?.toFixed(0) ?? '-'} us, p99 ${r.latencyUs.p99?.toFixed(0) ?? '-'} us, ` +
    `p99.9 ${r.latencyUs.p999?.toFixed(0) ?? '-'} us, relay CPU/pkt ${cpu}, machine CPU/pkt ${r.machineCpuPerPacketUs.toFixed(2)} us\n`
  );
}

/** A trial's figures as the latency tables keep them. */
type RecordTrial = (f: TrialFigures, rate: number, rung: number) => TrialRecord;
/** One trial on a subject's bed. */
type RunTrialOn = (subject: LatencySubject, rate: number, durationSec: number) => Promise<TrialFigures>;

export async function runLatency(s: Settings, cwd: string, injected?: OpenBed): Promise<number> {
  const openBed = await openBedOrExplain('latency', injected);
  if (!openBed) return 1;
  const clock = startClock();
  const result = makeResult(s, clock, cwd);
  const notes = result.notes;
  const record: RecordTrial = (f, rate, rung) => {
    const picked = pickFigures(f);
    return { ...picked, rung, targetPps: rate, verdict: verdict(picked, s.maxLossPct, s.senderBoundRatio) };
  };
  let ndrFile: BenchResult | null = null;
  if (s.ndrFrom && s.latencyRungs.includes('half-ndr')) ndrFile = parseResult(await readFile(s.ndrFrom, 'utf8'), s.ndrFrom);
  const bulk = s.latencyRungs.includes('bulk') && s.relays.includes('mcr');
  const subjects: LatencySubject[] = [...s.relays, ...(bulk ? (['mcr-fixed'] as const) : [])];
  announce(s, subjects, bulk, ndrFile);

  const beds = new Map<LatencySubject, Bed>();
  let ndr: NdrFigure[] = [];
  let cells: LatencyCell[] = [];
  let tcpNoise: LatencyResult['tcpNoise'] = { skipped: s.tcpNoise ? 'mcr is not among --relays' : '--no-tcp-noise' };
  try {
    await openSubjectBeds(openBed, subjects, s, beds, notes);
    const trial: RunTrialOn = (subject, rate, durationSec) => beds.get(subject)!.trial({ rate, durationSec, size: s.size, prime: s.prime });
    ndr = await ndrFigures(s, beds, trial, ndrFile, result, notes);
    cells = await runLadder(s, beds, trial, ndr, record, notes);
    // mcr beside a TCP flow on its input.
    const mcrBed = beds.get('mcr');
    if (s.tcpNoise && mcrBed) {
      const missing = tcpFlowUnavailable();
      tcpNoise = missing ? { skipped: missing } : tcpNoiseSummary(await tcpNoiseTrials(mcrBed, s, record, notes));
      if (missing) notes.push(`TCP noise skipped: ${missing}`);
    }
  } finally {
    for (const bed of beds.values()) {
      await bed.close().catch((err: unknown) => notes.push(`closing a test bed failed: ${(err as Error).message}`));
      untrackBed(bed);
    }
  }

  result.latency = summariseLatency(
    {
      streams: s.streams,
      size: s.size,
      repeats: s.repeats,
      trialSeconds: s.trialSeconds,
      topology: 'chain',
      ndrSource: ndrFile ? { kind: 'file', file: s.ndrFrom! } : { kind: 'search' },
      ndr,
      cells,
      tcpNoise,
      unavailable: s.unavailable,
    },
    s.maxLossPct,
  );
  finishResult(result, clock);
  const human = s.json ? process.stderr : process.stdout;
  human.write(renderLatencyText(result.latency));
  const files = await publish(result, s);
  human.write(
    `\nTo publish it in docs/bench.md: commit ${files.json.replace(/^.*\/results\//, 'results/')}, name it as the "latency" section's file in ` +
      'results/readme.json, and run npx nx run bench:readme.\n',
  );
  return 0;
}

/** The run's plan, on stderr before anything starts: subjects, rungs, rounds, length, where the NDRs come from. */
function announce(s: Settings, subjects: LatencySubject[], bulk: boolean, ndrFile: BenchResult | null): void {
  const perRound = s.latencyRungs.reduce((n, rung) => n + rungOrder(rung, s.relays, 0).length, 0);
  process.stderr.write(
    `bench latency: ${subjects.map((x) => SUBJECT_LABELS[x]).join(', ')}; ${s.streams} stream(s) of ${s.size} B on the chain; ` +
      `${s.repeats} round(s) of ${perRound} trials of ${s.trialSeconds} s (${s.latencyRungs.map((r) => RUNG_LABELS[r]).join(', ')}` +
      `${bulk ? `: mcr default and fixed ${FIXED_WINDOW_MICROS} us` : ''})` +
      `${s.tcpNoise && s.relays.includes('mcr') ? `; TCP noise: ${s.repeats} pairs at ${kpps(TCP_NOISE_RATE_PPS)}` : ''}; ` +
      `about ${Math.ceil(estimateSeconds(s) / 60)} min; ` +
      `NDR ${!s.latencyRungs.includes('half-ndr') ? 'not needed' : ndrFile ? `from ${s.ndrFrom}` : `from a search of ${s.rungs} rungs of ${NDR_SEARCH_TRIAL_SECONDS} s trials`}\n`,
  );
}

/** A bed per subject, into `beds`; a subject whose bed cannot open is a note, and the others run. */
async function openSubjectBeds(openBed: OpenBed, subjects: LatencySubject[], s: Settings, beds: Map<LatencySubject, Bed>, notes: string[]): Promise<void> {
  for (const subject of subjects) {
    try {
      const bed = await openBed(subjectBedOptions(subject, s));
      trackBed(bed);
      beds.set(subject, bed);
    } catch (err) {
      notes.push(`${SUBJECT_LABELS[subject]}: test bed could not be opened: ${(err as Error).message.split('\n')[0]}`);
    }
  }
}

/** Each relay's NDR for the half-NDR rung: from --ndr-from, else a short interleaved search (a point of the result). */
async function ndrFigures(s: Settings, beds: Map<LatencySubject, Bed>, trial: RunTrialOn, ndrFile: BenchResult | null, result: BenchResult, notes: string[]): Promise<NdrFigure[]> {
  if (!s.latencyRungs.includes('half-ndr')) return [];
  let ndr: NdrFigure[];
  if (ndrFile) {
    ndr = ndrFromResult(ndrFile, s.relays, s.streams, notes, s.ndrFrom!);
  } else {
    const cfg: SearchConfig = {
      floorPps: s.floorPps,
      ceilingPps: s.ceilingPps,
      rungs: s.rungs,
      resolution: s.resolution,
      maxLossPct: s.maxLossPct,
      senderBoundRatio: s.senderBoundRatio,
    };
    const searchable = s.relays.filter((r) => beds.has(r));
    const searched = await searchRates(searchable, (relay, rate) => trial(relay, rate, NDR_SEARCH_TRIAL_SECONDS), cfg, progressPrinter(process.stderr, 'NDR search '));
    searched.forEach(summariseRates);
    const point: RunPoint = { label: `NDR search, streams=${s.streams}`, params: { streams: s.streams, workers: s.workers }, relays: searched, ratios: mcrRatios(searched) };
    result.points.push(point);
    ndr = s.relays.map((relay) => {
      const f = searched.find((x) => x.relay === relay)?.ndr ?? null;
      return { relay, pps: f?.pps ?? null, lowerBound: f ? f.senderBound || f.atCeiling : false };
    });
  }
  for (const n of ndr) if (n.pps === null && beds.has(n.relay)) notes.push(`${n.relay}: no NDR, so no ${RUNG_LABELS['half-ndr']} trials`);
  return ndr;
}

/** The rate ladder in interleaved rounds: every rung runs every subject, in rotating order. */
async function runLadder(s: Settings, beds: Map<LatencySubject, Bed>, trial: RunTrialOn, ndr: NdrFigure[], record: RecordTrial, notes: string[]): Promise<LatencyCell[]> {
  const cells = new Map<string, LatencyCell>();
  const cellOf = (rung: RungId, subject: LatencySubject, targetPps: number): LatencyCell => {
    const key = `${rung}/${subject}`;
    let c = cells.get(key);
    if (!c) cells.set(key, (c = { rung, subject, targetPps, trials: [], stats: null }));
    return c;
  };
  const rateAt = (rung: RungId, subject: LatencySubject): number | null => {
    if (rung === '20k') return FIXED_RATES_PPS[0];
    if (rung === '50k') return FIXED_RATES_PPS[1];
    if (rung === 'bulk') return BULK_RATE_PPS;
    return halfNdrRate(ndr.find((n) => n.relay === subject));
  };
  const rounds = s.repeats;
  for (let round = 0; round < rounds; round++) {
    for (const [i, rung] of s.latencyRungs.entries()) {
      for (const subject of rungOrder(rung, s.relays, round + i)) {
        const rate = rateAt(rung, subject);
        if (rate === null || !beds.has(subject)) continue;
        try {
          const rec = record(await trial(subject, rate, s.trialSeconds), rate, round + 1);
          cellOf(rung, subject, rate).trials.push(rec);
          process.stderr.write(trialLine(`[round ${round + 1}/${rounds}] ${RUNG_LABELS[rung]}:`, subject, rate, rec));
        } catch (err) {
          notes.push(`${SUBJECT_LABELS[subject]} @ ${kpps(rate)} round ${round + 1}: trial failed: ${(err as Error).message.split('\n')[0]}`);
        }
      }
    }
  }
  return [...cells.values()];
}

/** Interleaved pairs at TCP_NOISE_RATE_PPS on mcr's bed: without and with the flow (order alternating). */
async function tcpNoiseTrials(bed: Bed, s: Settings, record: RecordTrial, notes: string[]): Promise<TcpNoiseTrial[]> {
  const topo = bed.lab.topo;
  const input = topo.relay.inputs[0]!;
  const source = topo.sources[0]!;
  const out: TcpNoiseTrial[] = [];
  for (let round = 0; round < s.repeats; round++) {
    for (const flow of round % 2 === 0 ? [false, true] : [true, false]) {
      const tcp = flow ? await startTcpFlow(source.ns, input.ns, input.ip, Math.ceil(s.trialSeconds + FLOW_TAIL_SECONDS)) : null;
      try {
        const before = { stats: await bed.mcr!.stats(), rx: await rxPackets(input.ns, input.ifname) };
        const rec = record(await bed.trial({ rate: TCP_NOISE_RATE_PPS, durationSec: s.trialSeconds, size: s.size, prime: s.prime }), TCP_NOISE_RATE_PPS, round + 1);
        const after = { stats: await bed.mcr!.stats(), rx: await rxPackets(input.ns, input.ifname) };
        const tcpBitsPerSecond = tcp ? await tcp.done : null;
        const t: TcpNoiseTrial = {
          flow,
          record: rec,
          tcpBitsPerSecond,
          framesSeen: after.stats.totals.framesSeen - before.stats.totals.framesSeen,
          forwarded: after.stats.totals.forwarded - before.stats.totals.forwarded,
          inputFrames: after.rx - before.rx,
        };
        out.push(t);
        process.stderr.write(
          trialLine(`[TCP noise ${round + 1}/${s.repeats}] ${flow ? `with a TCP flow (${((tcpBitsPerSecond ?? 0) / 1e9).toFixed(2)} Gbit/s)` : 'without a flow'}:`, 'mcr', TCP_NOISE_RATE_PPS, rec).trimEnd() +
            `; framesSeen ${t.framesSeen}, input frames ${t.inputFrames}\n`,
        );
      } catch (err) {
        notes.push(`TCP noise round ${round + 1} (${flow ? 'with' : 'without'} flow): ${(err as Error).message.split('\n')[0]}`);
      } finally {
        tcp?.kill();
      }
    }
  }
  return out;
}
