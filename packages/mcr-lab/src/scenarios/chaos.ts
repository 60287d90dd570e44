// chaos: recovery, proved. N streams flow through mcr (2 workers, --state on a small tmpfs of its
// own) in windows of 2-5 s; in each window after a fault-free warm-up, one fault (chaos-faults.ts)
// strikes 0.4 s in, drawn from a seeded schedule that runs every kind once in shuffled order, then
// random kinds until --seconds is spent.
// The last stream's rule is added at run time (`mcr add`), so it lives in the state file only, with a
// second output on a spare interface that the output-recreate fault deletes and creates again.
//
// Asserted, per window and at the end:
//   - no duplicate, ever;
//   - loss only within the fault's bound: the sink's receive counter never stalls longer than the
//     kind's RECOVERY_BOUND_MS after the fault, and the window loses at most what the offered rate
//     sends in that time (plus 0.1 % of the window for the machine's noise);
//   - the faults' own checks (a full disk refuses `mcr add` with ESTATE; the dummy output carries the
//     stream again within SPARE_RECOVERY_BOUND_MS);
//   - every worker slot alive again by the end of the window;
//   - the rules at the end are exactly the config's and the run-time one;
//   - descriptors and memory of the relay's processes flat from the warm-up to the end.
// Negative controls: `--inject-bug no-restart` (testOnly.noWorkerRestart) and `forget-state`
// (testOnly.forgetState) must each make it fail.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mcrEndpoint, rxPackets, type Bed, type TrialResult } from '../bed/index.js';
import { LAB_TTL, run } from '@mcr/netns-lab';
import { McrRelay } from '../relays/index.js';
import { createSpareOutput, FAULT_KINDS, FAULTS, RECOVERY_BOUND_MS, SPARE_OUTPUT, type FaultContext, type FaultKind, type FaultResult } from './chaos-faults.js';
import { bedOptions, seeded, withBed } from './common.js';
import type { ScenarioOptions } from './options.js';
import { makeReport, type Row, type ScenarioReport, type Violation } from './report.js';

/** The state directory's tmpfs: room for the state file, small enough to fill in a moment. */
const STATE_TMPFS_SIZE = '1m';
/** A window's loss may exceed its fault's bound by this fraction of what it sent (the machine's noise). */
const NOISE_LOSS_FRACTION = 0.001;
/** Descriptors and memory of the relay's processes, end against warm-up: what "flat" allows. */
const FLAT = { fds: 8, rssGrowth: 1.5, rssSlackKiB: 32 * 1024 } as const;
/** A window's length of traffic, seconds: drawn between min and max (longer when a fault's bound needs it). */
export const CHAOS_WINDOW_SECONDS = { min: 2, max: 5 } as const;
const FAULT_AT_MS = 400;
const SAMPLE_MS = 20;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ChaosWindow {
  kind: FaultKind | 'warm-up';
  durationSec: number;
  detail: string;
  sent: number;
  missing: number;
  duplicates: number;
  /** Packets of another stream (cross-talk) and damaged ones: both must stay 0. */
  foreign: number;
  corrupt: number;
  achievedPps: number;
  /** Longest time after the fault without a packet at the sink, ms. */
  stallMs: number;
  boundMs: number;
  allowedLoss: number;
  violations: string[];
}

/** The longest gap between increases of the sink's counter from `from` on. */
export function longestStall(samples: readonly [number, number][], from: number): number {
  let lastT = from;
  let lastN = samples.filter(([t]) => t <= from).at(-1)?.[1] ?? samples[0]?.[1] ?? 0;
  let stall = 0;
  for (const [t, n] of samples) {
    if (t < from) continue;
    if (n > lastN) {
      stall = Math.max(stall, t - lastT);
      lastT = t;
      lastN = n;
    }
  }
  const end = samples.at(-1)?.[0] ?? from;
  return Math.max(stall, end - lastT);
}

/** Descriptors and resident memory (KiB) of the relay's supervisor and workers. */
async function resources(bed: Bed, relay: McrRelay): Promise<{ fds: number; rssKiB: number }> {
  const stats = await bed.mcr!.stats();
  const pids = [relay.pid, ...stats.workers.map((w) => w.pid)].filter((p): p is number => typeof p === 'number');
  let fds = 0;
  let rssKiB = 0;
  for (const pid of pids) {
    fds += (await readdir(`/proc/${pid}/fd`).catch(() => [])).length;
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    rssKiB += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  }
  return { fds, rssKiB };
}

export async function chaos(o: ScenarioOptions): Promise<ScenarioReport> {
  const n = o.streams[0]!;
  const random = seeded(o.seed);
  o.onProgress(`chaos: ${n} streams at ${o.rate} pps, ${o.workers} workers, ${o.seconds} s of faults, seed ${o.seed}${o.injectBug ? `, inject-bug ${o.injectBug}` : ''}`);
  const stateDir = await mkdtemp(join(tmpdir(), 'mcr-lab-chaos-'));
  await run('mount', ['-t', 'tmpfs', '-o', `size=${STATE_TMPFS_SIZE},mode=0700`, 'tmpfs', stateDir]);
  try {
    const testOnly = o.injectBug === 'no-restart' ? { noWorkerRestart: true } : o.injectBug === 'forget-state' ? { forgetState: true } : undefined;
    const options = { ...bedOptions(o, n, 'mcr'), mcrStateFile: join(stateDir, 'state.json'), mcrConfigStreams: n - 1, ...(testOnly ? { mcrTestOnly: testOnly } : {}) };
    return await withBed(options, (bed) => runChaos(bed, o, random, stateDir));
  } finally {
    await run('umount', [stateDir]).catch(() => {});
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** One window: a trial with the fault (none for a warm-up) at FAULT_AT_MS, and what it violated. */
async function runWindow(bed: Bed, o: ScenarioOptions, ctx: FaultContext, kind: FaultKind | 'warm-up'): Promise<ChaosWindow> {
  const { random } = ctx;
  const sink = bed.lab.topo.sinks[0]!;
  const boundMs = kind === 'warm-up' ? 0 : RECOVERY_BOUND_MS[kind];
  // CHAOS_WINDOW_SECONDS, and always long enough to see the recovery the bound allows.
  const { min, max } = CHAOS_WINDOW_SECONDS;
  const durationSec = Math.max(min + random() * (max - min), (FAULT_AT_MS + boundMs) / 1000 + 1.5);
  const samples: [number, number][] = [];
  let at = 0;
  let result: FaultResult = { detail: 'no fault', violations: [] };
  const trial: TrialResult = await bed.trial({
    rate: o.rate,
    durationSec,
    size: o.size,
    // The receivers end after this long without a packet: longer than the outage the fault may cause.
    idleMs: boundMs + 500,
    expectDelivery: false,
    during: async (signal) => {
      const sampling = (async () => {
        while (!signal.aborted) {
          samples.push([Date.now(), await rxPackets(sink.ns, sink.ifname).catch(() => samples.at(-1)?.[1] ?? 0)]);
          await sleep(SAMPLE_MS);
        }
      })();
      await sleep(FAULT_AT_MS);
      at = Date.now();
      if (kind !== 'warm-up') {
        result = await FAULTS[kind](ctx).catch((err: unknown) => ({ detail: 'the fault failed', violations: [`${kind}: ${(err as Error).message.split('\n')[0]}`] }));
      }
      await sampling;
    },
  });
  const stallMs = longestStall(samples, at);
  // Recovered means back to full strength too: a fanout group's survivors take a dead worker's flows,
  // so its loss alone would not show that it never came back.
  const workers = (await bed.mcr!.stats()).workers;
  const alive = workers.filter((w) => w.alive).length;
  const allowedLoss = Math.ceil((o.rate * boundMs) / 1000 + NOISE_LOSS_FRACTION * trial.sent * bed.lab.topo.sinks.length);
  const violations = [...result.violations];
  if (trial.duplicates > 0) violations.push(`${kind}: ${trial.duplicates} duplicates`);
  if (trial.foreign + trial.corrupt > 0) violations.push(`${kind}: ${trial.foreign} packets of other streams, ${trial.corrupt} corrupt`);
  if (alive < workers.length) violations.push(`${kind}: ${alive} of ${workers.length} workers alive at the end of the window (${Math.round(Date.now() - at)} ms after the fault)`);
  if (trial.missing > allowedLoss) violations.push(`${kind}: ${trial.missing} packets lost, more than the ${allowedLoss} its ${boundMs} ms bound allows at ${o.rate} pps`);
  if (kind !== 'warm-up' && stallMs > boundMs + 2 * SAMPLE_MS) violations.push(`${kind}: the sink received nothing for ${stallMs} ms, longer than its ${boundMs} ms bound`);
  const w: ChaosWindow = { kind, durationSec: Math.round(durationSec * 10) / 10, detail: result.detail, sent: trial.sent, missing: trial.missing, duplicates: trial.duplicates, foreign: trial.foreign, corrupt: trial.corrupt, achievedPps: Math.round(trial.achievedPps), stallMs, boundMs, allowedLoss, violations };
  o.onProgress(`chaos: ${kind}: ${w.detail}; lost ${w.missing}/${w.sent} (sent at ${w.achievedPps} pps), longest stall ${stallMs} ms${violations.length ? ` VIOLATION: ${violations.join('; ')}` : ''}`);
  return w;
}

async function runChaos(bed: Bed, o: ScenarioOptions, random: () => number, stateDir: string): Promise<ScenarioReport> {
  const relay = bed.relay as McrRelay;
  const topo = bed.lab.topo;
  const ns = topo.relay.ns;
  const input = topo.relay.inputs[0]!.ifname;
  const output = topo.relay.outputs[0]!.ifname;
  const runtime = bed.streams[bed.streams.length - 1]!;
  const runtimeRuleId = `s${bed.streams.length - 1}`;
  await createSpareOutput(ns);
  await bed.mcr!.add({
    id: runtimeRuleId,
    input: mcrEndpoint(input, runtime.group, runtime.port),
    outputs: [mcrEndpoint(output, runtime.outGroup, runtime.outPort, LAB_TTL), mcrEndpoint(SPARE_OUTPUT.ifname, runtime.outGroup, runtime.outPort, LAB_TTL)],
  });
  const ctx: FaultContext = { relay, control: bed.mcr!, ns, input, output, family: o.family, stateDir, runtimeRuleId, random };

  const windows: ChaosWindow[] = [];
  const window = (kind: FaultKind | 'warm-up') => runWindow(bed, o, ctx, kind);

  windows.push(await window('warm-up'));
  const before = await resources(bed, relay);
  const order = [...FAULT_KINDS].sort(() => random() - 0.5);
  const deadline = Date.now() + o.seconds * 1000;
  // Every kind once, whatever --seconds says, then random kinds until it is spent.
  for (let i = 0; i < order.length || Date.now() < deadline; i++) {
    const kind = i < order.length ? order[i]! : FAULT_KINDS[Math.floor(random() * FAULT_KINDS.length)]!;
    windows.push(await window(kind));
  }
  // After the last fault: one clean window, then the end state.
  windows.push(await window('warm-up'));
  const after = await resources(bed, relay);
  const ids = (await bed.mcr!.ruleIds()).sort();
  const expected = [...bed.streams.map((_, k) => `s${k}`)].sort();

  const violations: Violation[] = windows.flatMap((w) => w.violations.map((message) => ({ metric: `fault:${w.kind}`, value: 1, threshold: 0, message })));
  if (ids.join(',') !== expected.join(',')) {
    violations.push({ metric: 'rules', value: ids.length, threshold: expected.length, message: `the rules at the end are ${ids.join(', ') || 'none'}, expected ${expected.join(', ')}` });
  }
  if (after.fds > before.fds + FLAT.fds) {
    violations.push({ metric: 'fds', value: after.fds, threshold: before.fds + FLAT.fds, message: `the relay's processes hold ${after.fds} descriptors, ${before.fds} after the warm-up` });
  }
  if (after.rssKiB > before.rssKiB * FLAT.rssGrowth + FLAT.rssSlackKiB) {
    violations.push({ metric: 'rssKiB', value: after.rssKiB, threshold: Math.round(before.rssKiB * FLAT.rssGrowth + FLAT.rssSlackKiB), message: `the relay's processes use ${after.rssKiB} KiB, ${before.rssKiB} after the warm-up` });
  }

  const rows = faultRows(windows);
  const sent = windows.reduce((a, w) => a + w.sent, 0);
  return makeReport(o, {
    violations,
    columns: ['fault', 'windows', 'lostMax', 'lostTotal', 'recoveryMedianMs', 'recoveryMaxMs', 'boundMs', 'duplicates', 'verdict'],
    rows,
    summary: [
      `${windows.length} windows (${windows.length - 2} faults), seed ${o.seed}: sent ${sent}, lost ${windows.reduce((a, w) => a + w.missing, 0)}, duplicates ${windows.reduce((a, w) => a + w.duplicates, 0)}`,
      `rules at the end: ${ids.join(', ')}`,
      `relay processes: ${before.fds} -> ${after.fds} descriptors, ${before.rssKiB} -> ${after.rssKiB} KiB resident`,
      'recovery: the longest the sink went without a packet after the fault began (sampled every 20 ms); lost: packets missing in the window',
    ],
    details: { seed: o.seed, rate: o.rate, streams: bed.streams.length, windows, resources: { before, after }, rules: ids },
  });
}

/** A row per fault kind: windows drawn, loss, recovery against its bound, duplicates, verdict. */
function faultRows(windows: ChaosWindow[]): Row[] {
  return FAULT_KINDS.map((kind) => {
    const ws = windows.filter((w) => w.kind === kind);
    const stalls = ws.map((w) => w.stallMs).sort((a, b) => a - b);
    return {
      fault: kind,
      windows: ws.length,
      lostMax: ws.length ? Math.max(...ws.map((w) => w.missing)) : '-',
      lostTotal: ws.reduce((a, w) => a + w.missing, 0),
      recoveryMedianMs: stalls.length ? stalls[Math.floor(stalls.length / 2)]! : '-',
      recoveryMaxMs: stalls.length ? stalls.at(-1)! : '-',
      boundMs: RECOVERY_BOUND_MS[kind],
      duplicates: ws.reduce((a, w) => a + w.duplicates, 0),
      verdict: ws.some((w) => w.violations.length) ? 'FAIL' : ws.length ? 'pass' : 'not drawn',
    };
  });
}
