// A trial on an open bed: prime the path, start mcr-recv in every sink, read the relay's and the
// machine's CPU around mcr-send from every source, then fold the receivers' reports into one
// TrialResult (a pure step).
import {
  DEFAULT_PAYLOAD,
  IP_UDP_HEADER,
  LAB_LINK_MTU,
  LAB_TTL,
  machineBusySeconds,
  MAX_PAYLOAD,
  MIN_PAYLOAD,
  runSender,
  SENDER_DEFAULTS,
  startReceiver,
  type AddressFamily,
  type ReceiverHandle,
  type ReceiverResult,
  type SenderMode,
  type SenderResult,
  type StreamCounts,
  type StreamReport,
  type StreamTarget,
} from '@mcr/netns-lab';
import { relayTitle, type ConcreteRelayName } from '../relays/index.js';
import type { Bed } from './bed.js';
import { intIn } from './bed-options.js';

export interface TrialOptions {
  /** Aggregate offered pps (0 = unthrottled). */
  rate: number;
  /** Seconds to send, or `count` packets per stream (one of them). */
  durationSec?: number;
  count?: number;
  /** Payload bytes, default DEFAULT_PAYLOAD. */
  size?: number;
  /** Default true: a short burst per stream first, then 300 ms, not counted (RFC 3918). */
  prime?: boolean;
  /** Receiver idle timeout that ends the trial once traffic stops; default 300 ms. */
  idleMs?: number;
  /**
   * Runs while the sender sends (after the receivers are ready); its signal aborts when the
   * sender has finished. The trial waits for it. Used by the churn and igmp scenarios.
   */
  during?: (signal: AbortSignal) => Promise<void>;
  /**
   * Default true: a trial in which the sinks received nothing of what was sent throws
   * RelayDeliveredNothingError: after priming, a relay that delivers nothing is broken, not slow, and
   * must never stand in a table as a rate of 0. false where nothing arriving is a possible outcome
   * (the negative controls that make a relay drop everything).
   */
  expectDelivery?: boolean;
}

/** A trial in which nothing reached the sinks: the relay is broken (or cannot work on this machine). */
export class RelayDeliveredNothingError extends Error {
  constructor(readonly relay: ConcreteRelayName, readonly sent: number) {
    super(`${relayTitle(relay)} delivered nothing of ${sent} packets sent (after priming): the relay is broken here, not slow`);
    this.name = 'RelayDeliveredNothingError';
  }
}

/** One mcr-recv stream report, with the sink it was received at (fanout: one per sink). */
export interface BedStreamReport extends StreamReport {
  sink: number;
  /** Packets the source sent on this stream (missing = sent - unique, exact). */
  sent: number;
  lossPct: number;
}

/** The receivers' counts summed over streams and sinks (StreamCounts), plus what the trial adds. */
export interface TrialResult extends Omit<StreamCounts, 'latencyUs'> {
  relay: ConcreteRelayName;
  /** IP version of the bed's streams. */
  family: AddressFamily;
  /** How the source(s) sent: raw frames or a UDP socket, from how many processes each. */
  sender: SenderMode;
  streams: number;
  size: number;
  offeredPps: number;
  achievedPps: number;
  /** achieved < 0.97 x offered (rate > 0). */
  senderBound: boolean;
  /** Packets sent by the source(s). Every sink expects all of them (fanout: sent x sinks deliveries). */
  sent: number;
  /** missing / (sent x sinks) x 100. */
  lossPct: number;
  /** Worst receiver's figures; 0 when nothing arrived. */
  latencyUs: { p50: number; p99: number; p999: number; max: number };
  /** CPU of the relay's processes during the trial (null: kernel, which works in softirq context). */
  relayCpuSeconds: number | null;
  /** relayCpuSeconds / unique x 1e6. */
  relayCpuPerPacketUs: number | null;
  /**
   * Busy CPU of the whole machine (/proc/stat, all CPUs) while the trial sent and the receivers drained:
   * sender, relay (softirq included), receivers, and anything else running. The fair cross-relay figure
   * on a quiet machine: the kernel relay's forwarding runs in the sender's softirq and shows only here.
   */
  machineCpuSeconds: number;
  /** machineCpuSeconds / unique x 1e6 (0 when nothing arrived). */
  machineCpuPerPacketUs: number;
  perStream: BedStreamReport[];
}

/** A trial whose sender achieved less than this fraction of the offered rate is sender-bound. */
export const SENDER_BOUND_RATIO = 0.97;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface SenderPlan {
  ns: string;
  ifname: string;
  /** Global stream indexes this source sends, in its --stream order (its local stream ids). */
  streams: number[];
}

/** converge: source m sends the streams entering on input m; else the one source sends all. */
function senderPlans(bed: Bed): SenderPlan[] {
  const sources = bed.lab.topo.sources;
  return sources
    .map((s, m) => ({ ns: s.ns, ifname: s.ifname, streams: bed.streams.map((st, n) => ((st.input ?? 0) === m ? n : -1)).filter((n) => n >= 0) }))
    .filter((p) => p.streams.length > 0);
}

/** The bed's sender mode for payloads of `size` bytes: raw frames only where they fit the links' MTU. */
function senderMode(bed: Bed, size: number): SenderMode {
  const mode = { ...SENDER_DEFAULTS, ...bed.options.sender };
  const fits = size + IP_UDP_HEADER[bed.options.family ?? 'ipv4'] <= LAB_LINK_MTU;
  return { raw: mode.raw && fits, senders: mode.senders };
}

function normaliseTrial(t: TrialOptions): Required<Pick<TrialOptions, 'rate' | 'size' | 'prime' | 'idleMs' | 'expectDelivery'>> & TrialOptions {
  intIn('rate', t.rate, 0, 100_000_000);
  if ((t.count === undefined) === (t.durationSec === undefined)) throw new TypeError('trial: exactly one of "count" and "durationSec" is required');
  if (t.count !== undefined) intIn('count', t.count, 1, 1_000_000_000);
  if (t.durationSec !== undefined && !(t.durationSec > 0)) throw new RangeError(`option "durationSec" must be > 0, received ${t.durationSec}`);
  const size = t.size ?? DEFAULT_PAYLOAD;
  intIn('size', size, MIN_PAYLOAD, MAX_PAYLOAD);
  return { ...t, size, prime: t.prime ?? true, idleMs: t.idleMs ?? 300, expectDelivery: t.expectDelivery ?? true };
}

/** The trial's options with their defaults, checked (TypeError/RangeError naming the option). */
type NormalTrial = ReturnType<typeof normaliseTrial>;

/** One receiver per (sink, source plan): its stream ids are its --stream order, the sender's. */
interface SinkReceiver {
  sink: number;
  plan: SenderPlan;
  handle: ReceiverHandle;
}

/** What the send step measured: the senders' and receivers' reports and the CPU both spent. */
interface Measured {
  senders: SenderResult[];
  reports: ReceiverResult[];
  relayCpuSeconds: number | null;
  machineCpuSeconds: number;
}

const inTarget = (bed: Bed, n: number): StreamTarget => ({ group: bed.streams[n]!.group, port: bed.streams[n]!.port });

/** Runs one trial on `bed`: prime, receive, send and measure, fold. */
export async function runTrial(bed: Bed, trial: TrialOptions): Promise<TrialResult> {
  const t = normaliseTrial(trial);
  const sender = senderMode(bed, t.size);
  const plans = senderPlans(bed);
  if (t.prime) await primePaths(bed, plans, t, sender);
  const receivers = await startReceivers(bed, plans, t);
  const measured = await sendAndMeasure(bed, plans, receivers, t, sender);
  return foldTrial(bed, t, sender, plans, receivers, measured);
}

/**
 * Priming (RFC 3918): a short low-rate burst per stream so (*,G) routes, joins and caches settle;
 * the counting receivers start after it, so none of it is counted.
 */
async function primePaths(bed: Bed, plans: SenderPlan[], t: NormalTrial, sender: SenderMode): Promise<void> {
  const per = Math.max(3, Math.min(50, Math.floor(1000 / bed.streams.length)));
  await Promise.all(
    plans.map((p) =>
      runSender({ netns: p.ns, interface: p.ifname, ttl: LAB_TTL, streams: p.streams.map((n) => inTarget(bed, n)), count: per, rate: Math.max(100, Math.min(5000, 50 * p.streams.length)), size: t.size, ...sender }),
    ),
  );
  await sleep(300);
}

/** A receiver per (sink, source plan): converge needs one per source, whose stream ids it shares. */
function startReceivers(bed: Bed, plans: SenderPlan[], t: NormalTrial): Promise<SinkReceiver[]> {
  const outTargets: StreamTarget[] = bed.streams.map((s) => ({ group: s.outGroup, port: s.outPort }));
  const totalPkts = t.count !== undefined ? t.count * bed.streams.length : undefined;
  const sendSec = t.durationSec ?? (t.rate > 0 && totalPkts ? totalPkts / t.rate : 30);
  const backstopSec = Math.ceil(sendSec + 60);
  return Promise.all(
    bed.lab.topo.sinks.flatMap((sink, k) =>
      plans.map(async (p) => ({
        sink: k,
        plan: p,
        handle: await startReceiver({
          netns: sink.ns,
          interface: sink.ifname,
          streams: p.streams.map((n) => outTargets[n]!),
          ...(t.count !== undefined ? { expect: t.count } : {}),
          idleMs: t.idleMs,
          durationSec: backstopSec,
        }),
      })),
    ),
  );
}

/** Sends from every source (and runs `during` meanwhile), with the relay's and the machine's CPU read around it. */
async function sendAndMeasure(bed: Bed, plans: SenderPlan[], receivers: SinkReceiver[], t: NormalTrial, sender: SenderMode): Promise<Measured> {
  let senders: SenderResult[];
  let cpu0: number | null = null;
  let machine0 = 0;
  let machine1 = 0;
  const duringAbort = new AbortController();
  let duringDone: Promise<void> | undefined;
  try {
    cpu0 = await bed.relay.cpuSeconds();
    machine0 = await machineBusySeconds();
    const total = plans.reduce((a, p) => a + p.streams.length, 0);
    const sending = Promise.all(
      plans.map((p) =>
        runSender({
          netns: p.ns,
          interface: p.ifname,
          ttl: LAB_TTL,
          streams: p.streams.map((n) => inTarget(bed, n)),
          rate: t.rate === 0 ? 0 : Math.max(1, Math.round((t.rate * p.streams.length) / total)),
          size: t.size,
          ...sender,
          ...(t.count !== undefined ? { count: t.count } : { durationSec: t.durationSec! }),
        }),
      ),
    );
    if (t.during) duringDone = t.during(duringAbort.signal);
    try {
      senders = await sending;
    } finally {
      duringAbort.abort();
    }
    if (duringDone) await duringDone;
    // Receivers stop by themselves (all expected arrived, or idle); give them a bounded time.
    await Promise.race([Promise.allSettled(receivers.map((r) => r.handle.result)), sleep(t.idleMs + 3000)]);
    machine1 = await machineBusySeconds();
  } catch (err) {
    await Promise.allSettled(receivers.map((r) => r.handle.stop()));
    if (duringDone) await duringDone.catch(() => {});
    throw err;
  }
  const reports: ReceiverResult[] = await Promise.all(receivers.map((r) => r.handle.stop()));
  const cpu1 = await bed.relay.cpuSeconds();
  return {
    senders,
    reports,
    relayCpuSeconds: cpu0 === null || cpu1 === null ? null : Math.max(0, cpu1 - cpu0),
    machineCpuSeconds: Math.max(0, machine1 - machine0),
  };
}

/**
 * The receivers' reports folded into one result: per stream with global stream ids and exact
 * missing (sent on that stream - unique), summed, and the CPU per delivered packet.
 */
function foldTrial(bed: Bed, t: NormalTrial, sender: SenderMode, plans: SenderPlan[], receivers: SinkReceiver[], m: Measured): TrialResult {
  const nStreams = bed.streams.length;
  const sentPerStream = new Array<number>(nStreams).fill(0);
  // m.senders[i] is plans[i]'s sender.
  plans.forEach((p, i) => p.streams.forEach((n, local) => (sentPerStream[n] = m.senders[i]!.perStream[local] ?? 0)));
  const perStream: BedStreamReport[] = [];
  receivers.forEach((r, i) => {
    for (const s of m.reports[i]!.streams) {
      const n = r.plan.streams[s.stream]!;
      const sent = sentPerStream[n]!;
      const missing = Math.max(0, sent - s.unique);
      perStream.push({ ...s, stream: n, sink: r.sink, sent, missing, lossPct: sent > 0 ? (missing / sent) * 100 : 0 });
    }
  });
  perStream.sort((a, b) => a.stream - b.stream || a.sink - b.sink);
  const sum = (k: 'received' | 'unique' | 'duplicates' | 'missing' | 'reordered' | 'corrupt' | 'foreign') => perStream.reduce((a, s) => a + s[k], 0);
  const sent = m.senders.reduce((a, s) => a + s.sent, 0);
  const deliveriesExpected = sent * bed.lab.topo.sinks.length;
  const missing = sum('missing');
  const unique = sum('unique');
  if (t.expectDelivery && sent > 0 && unique === 0) throw new RelayDeliveredNothingError(bed.options.relay, sent);
  const achievedPps = m.senders.reduce((a, s) => a + s.achievedPps, 0);
  const lat = (k: 'p50' | 'p99' | 'p999' | 'max') => Math.max(0, ...m.reports.map((r) => r.totals.latencyUs[k] ?? 0));
  return {
    relay: bed.options.relay,
    family: bed.options.family ?? 'ipv4',
    sender,
    streams: nStreams,
    size: t.size,
    offeredPps: t.rate,
    achievedPps,
    senderBound: t.rate > 0 && achievedPps < SENDER_BOUND_RATIO * t.rate,
    sent,
    received: sum('received'),
    unique,
    duplicates: sum('duplicates'),
    missing,
    reordered: sum('reordered'),
    corrupt: sum('corrupt'),
    foreign: sum('foreign'),
    lossPct: deliveriesExpected > 0 ? (missing / deliveriesExpected) * 100 : 0,
    latencyUs: { p50: lat('p50'), p99: lat('p99'), p999: lat('p999'), max: lat('max') },
    relayCpuSeconds: m.relayCpuSeconds,
    relayCpuPerPacketUs: m.relayCpuSeconds === null || unique === 0 ? null : (m.relayCpuSeconds / unique) * 1e6,
    machineCpuSeconds: m.machineCpuSeconds,
    machineCpuPerPacketUs: unique === 0 ? 0 : (m.machineCpuSeconds / unique) * 1e6,
    perStream,
  };
}
