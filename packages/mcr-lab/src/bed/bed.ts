// A test bed: one realised topology with one relay under test running in it, kept up across
// trials (docs/architecture.md, "mcr-lab: test beds and trials"). A trial primes the path, starts
// mcr-recv in every sink, reads the relay's CPU, runs mcr-send from every source, waits for the
// receivers to go idle and folds the reports into one TrialResult.
import {
  awaitSnooping,
  BRANCHES,
  build,
  checkFamily,
  DEFAULT_PAYLOAD,
  LAB_TTL,
  machineBusySeconds,
  MAX_PAYLOAD,
  MAX_STREAMS,
  MIN_PAYLOAD,
  RelayUnavailableError,
  uniquePrefix,
  up,
  type AddressFamily,
  type Lab,
  type RelayUnderTest,
  type StreamSpec,
  type TopologyKind,
  IP_UDP_HEADER,
  LAB_LINK_MTU,
  runSender,
  SENDER_DEFAULTS,
  SENDER_PROCESSES,
  startReceiver,
  type ReceiverResult,
  type SenderMode,
  type SenderResult,
  type StreamCounts,
  type StreamReport,
  type StreamTarget,
} from '@mcr/netns-lab';
import {
  createRelay,
  McrRelay,
  RELAY_NAMES,
  relayTitle,
  resolveRelay,
  type ConcreteRelayName,
  type McrDataPlane,
  type McrStartOptions,
  type McrTestOnly,
  type RelayName,
} from '../relays/index.js';
import { DEFAULTS, FANOUT_MODES } from '@mcr/relay';
import { McrControl } from './mcr-control.js';
import { planRelayStreams } from './streams.js';

export type { RelayName } from '../relays/index.js';

export interface BedOptions {
  /** The relay to run; `kernel` resolves to kernel-mfc or kernel-tc (the open bed's options name which). */
  relay: RelayName;
  /** Default 'chain'. */
  topology?: TopologyKind;
  /** Groups 239.1.<n/250>.<n%250+1>, ports 5001+n; outputs 239.9.x.y, 6001+n (kernel: the inputs). */
  streams: number;
  /** 'ipv4' (default) or 'ipv6': ff3e::1:<n+1> -> ff3e::9:<n+1> (bed/streams.ts), the lab's fd00:: addresses. */
  family?: AddressFamily;
  /** mcr only (default: the relay's, DEFAULTS.workers). */
  workers?: number;
  /** mcr only (default: the relay's, DEFAULTS.fanoutMode). */
  fanoutMode?: 'hash' | 'cpu' | 'lb' | 'off';
  /**
   * Whether the relay joins its input groups (IGMP / MLD): mcr default true, socat default true,
   * kernel default only behind the switch. false: the negative control (nothing passes a snooping bridge).
   */
  igmpJoin?: boolean;
  /** mcr only: the mcr CLI to run (bin/mcr.js of another build); default $MCR_BIN, else the workspace's. */
  mcrBin?: string;
  /** mcr only: the relay's TEST-ONLY config section, e.g. { injectedWorkNanos: 1000 } (a gate's negative control). */
  mcrTestOnly?: McrTestOnly;
  /** mcr only: its config's dataPlane pacing, e.g. { coalesceMicros: 300 } (absent: mcr's defaults). */
  mcrDataPlane?: McrDataPlane;
  /** mcr only: `mcr run --state FILE` (runtime rules survive a restart). */
  mcrStateFile?: string;
  /** mcr only: how many streams its config file holds (default all); the caller adds the rest with `bed.mcr.add`. */
  mcrConfigStreams?: number;
  /** socat and socat-default only: the negative control (every input on port 5001, processes bound to INADDR_ANY). */
  socatSharedPort?: boolean;
  /**
   * How mcr-send sends, field by field over SENDER_DEFAULTS (raw frames, one process). A payload
   * too big for the lab's links unfragmented goes through a UDP socket whatever `raw` says.
   */
  sender?: Partial<SenderMode>;
  /** fanout: sinks (default 2); converge: sources (default 2). */
  outputs?: number;
  sources?: number;
  /** Default: a fresh uniquePrefix(). */
  prefix?: string;
  /** switch: how long to wait for the bridge's snooping to pass traffic (default 30 s). */
  snoopingTimeoutMs?: number;
  /** Progress lines (long steps: snooping warm-up). */
  onProgress?: (line: string) => void;
}

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

export interface Bed {
  /** The options as opened: `relay` names the relay that runs (never the `kernel` request). */
  options: BedOptions & { relay: ConcreteRelayName };
  lab: Lab;
  /** The relay adapter running in the lab. */
  relay: RelayUnderTest<McrStartOptions>;
  /** The streams the relay was started with (stream n = index n). */
  streams: StreamSpec[];
  /** mcr only: its control socket through the CLI (stats, add, remove, list). */
  mcr?: McrControl;
  trial(t: TrialOptions): Promise<TrialResult>;
  close(): Promise<void>;
}

/** Beds not yet closed: the CLI closes them on SIGINT/SIGTERM. */
const openBeds = new Set<Bed>();

/** Prefixes of every bed opened in this process, in order (tests check that none left namespaces). */
const history: string[] = [];
export function bedPrefixes(): readonly string[] {
  return history;
}

/** Beds opened and not yet closed. */
export function liveBeds(): Bed[] {
  return [...openBeds];
}

/** Teardowns of beds still opening (lab up, relay starting or snooping warm-up). */
const opening = new Set<() => Promise<void>>();

/** Closes every open bed and tears down beds still opening (the CLI calls it on SIGINT/SIGTERM). */
export async function closeAllBeds(): Promise<void> {
  await Promise.allSettled([...[...openBeds].map((b) => b.close()), ...[...opening].map((f) => f())]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RELAYS: readonly RelayName[] = RELAY_NAMES;

function intIn(name: string, v: unknown, min: number, max: number): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new RangeError(`option "${name}" must be an integer in ${min}..${max}, received ${JSON.stringify(v)}`);
  }
}

/** A trial whose sender achieved less than this fraction of the offered rate is sender-bound. */
export const SENDER_BOUND_RATIO = 0.97;

/** Normalise -> default -> validate. Throws TypeError/RangeError naming the option. */
export function normaliseBedOptions(o: BedOptions): BedOptions {
  if (!RELAYS.includes(o.relay)) throw new TypeError(`option "relay" must be one of ${RELAYS.join(', ')}, received ${JSON.stringify(o.relay)}`);
  const topology = o.topology ?? 'chain';
  intIn('streams', o.streams, 1, MAX_STREAMS);
  const n: BedOptions = { ...o, topology, family: checkFamily('family', o.family ?? 'ipv4') };
  if (o.relay === 'mcr') {
    n.workers = o.workers ?? DEFAULTS.workers;
    intIn('workers', n.workers, 1, DEFAULTS.maxWorkers);
    n.fanoutMode = o.fanoutMode ?? DEFAULTS.fanoutMode;
    if (!(FANOUT_MODES as readonly string[]).includes(n.fanoutMode)) throw new TypeError(`option "fanoutMode" must be ${FANOUT_MODES.join('|')}, received ${JSON.stringify(o.fanoutMode)}`);
    n.igmpJoin = o.igmpJoin ?? DEFAULTS.igmpJoin;
  } else {
    for (const k of ['workers', 'fanoutMode', 'mcrBin', 'mcrTestOnly', 'mcrDataPlane', 'mcrStateFile', 'mcrConfigStreams'] as const) {
      if (o[k] !== undefined) throw new TypeError(`option "${k}" applies to relay mcr only (relay is ${o.relay})`);
    }
  }
  if (o.socatSharedPort && o.relay !== 'socat' && o.relay !== 'socat-default') {
    throw new TypeError(`option "socatSharedPort" applies to relays socat and socat-default only (relay is ${o.relay})`);
  }
  if (o.sender !== undefined && (typeof o.sender !== 'object' || o.sender === null)) {
    throw new TypeError(`option "sender" must be an object { raw?, senders? }, received ${JSON.stringify(o.sender)}`);
  }
  n.sender = { ...SENDER_DEFAULTS, ...o.sender };
  if (typeof n.sender.raw !== 'boolean') throw new TypeError(`option "sender.raw" must be a boolean, received ${JSON.stringify(n.sender.raw)}`);
  intIn('sender.senders', n.sender.senders, SENDER_PROCESSES.min, SENDER_PROCESSES.max);
  if (topology === 'fanout') {
    n.outputs = o.outputs ?? BRANCHES.default;
    intIn('outputs', n.outputs, BRANCHES.min, BRANCHES.max);
  } else if (o.outputs !== undefined) throw new TypeError('option "outputs" applies to topology fanout only');
  if (topology === 'converge') {
    n.sources = o.sources ?? BRANCHES.default;
    intIn('sources', n.sources, BRANCHES.min, BRANCHES.max);
  } else if (o.sources !== undefined) throw new TypeError('option "sources" applies to topology converge only');
  if (topology === 'chain3') throw new RangeError('topology "chain3" needs a relay in each of its three relay namespaces: not supported by a bed');
  return n;
}

/**
 * Opens a bed: the topology up, the relay started in it. Throws RelayUnavailableError, before anything
 * is created, when the relay cannot run on this machine (the doctor's probes say why).
 */
export async function openBed(options: BedOptions): Promise<Bed> {
  const o = normaliseBedOptions(options);
  const resolved = await resolveRelay(o.relay, o.family!, o.mcrBin !== undefined ? { mcrBin: o.mcrBin } : {});
  if (resolved.unavailable !== undefined) throw new RelayUnavailableError(resolved.relay, resolved.unavailable);
  const prefix = o.prefix ?? uniquePrefix();
  const topo = build(o.topology!, {
    prefix,
    ...(o.outputs !== undefined ? { outputs: o.outputs } : {}),
    ...(o.sources !== undefined ? { sources: o.sources } : {}),
  });
  const streams = planRelayStreams(o.streams, { relay: resolved.relay, family: o.family!, socatSharedPort: o.socatSharedPort ?? false, sources: o.sources ?? 1 });
  const lab = await up(topo); // tears down what it created if it fails
  history.push(prefix);
  const relay = createRelay(resolved.relay, {
    ...(o.mcrBin !== undefined ? { mcrBin: o.mcrBin } : {}),
    ...(o.mcrStateFile !== undefined ? { mcrStateFile: o.mcrStateFile } : {}),
    ...(o.socatSharedPort !== undefined ? { socatSharedPort: o.socatSharedPort } : {}),
  });
  let torn: Promise<void> | undefined;
  const teardown = () => (torn ??= relay.stop().catch(() => {}).finally(() => lab.down()));
  opening.add(teardown);
  try {
    if (topo.kind === 'switch') {
      o.onProgress?.(`${prefix}: waiting for the bridge's ${o.family === 'ipv6' ? 'MLD' : 'IGMP'} snooping (about 10 s)`);
      const ms = await awaitSnooping(lab, { family: o.family!, timeoutMs: o.snoopingTimeoutMs ?? 30_000 });
      o.onProgress?.(`${prefix}: snooping ready after ${ms} ms`);
    }
    await relay.start(lab, streams, {
      family: o.family!,
      ...(o.workers !== undefined ? { workers: o.workers } : {}),
      ...(o.fanoutMode !== undefined ? { fanoutMode: o.fanoutMode } : {}),
      ...(o.igmpJoin !== undefined ? { igmpJoin: o.igmpJoin } : {}),
      ...(o.mcrTestOnly !== undefined ? { testOnly: o.mcrTestOnly } : {}),
      ...(o.mcrDataPlane !== undefined ? { dataPlane: o.mcrDataPlane } : {}),
      ...(o.mcrConfigStreams !== undefined ? { configStreams: o.mcrConfigStreams } : {}),
    });
  } catch (err) {
    await teardown();
    throw err;
  } finally {
    opening.delete(teardown);
  }
  if (torn) {
    // Torn down by closeAllBeds while opening: the caller gets an error, not a dead bed.
    await torn;
    throw new Error(`bed ${prefix}: closed while opening`);
  }
  let closing: Promise<void> | undefined;
  let busy = false;
  const bed: Bed = {
    options: { ...o, relay: resolved.relay, prefix },
    lab,
    relay,
    streams,
    ...(relay instanceof McrRelay ? { mcr: new McrControl(relay, topo.relay.ns) } : {}),
    async trial(t) {
      if (busy) throw new Error(`bed ${prefix}: a trial is already running (trials on one bed run one at a time)`);
      if (closing) throw new Error(`bed ${prefix}: closed`);
      busy = true;
      try {
        return await runTrial(bed, t);
      } finally {
        busy = false;
      }
    },
    close() {
      closing ??= (async () => {
        openBeds.delete(bed);
        try {
          await relay.stop();
        } finally {
          await lab.down();
        }
      })();
      return closing;
    },
  };
  openBeds.add(bed);
  return bed;
}

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

async function runTrial(bed: Bed, trial: TrialOptions): Promise<TrialResult> {
  const t = normaliseTrial(trial);
  const topo = bed.lab.topo;
  const sender = senderMode(bed, t.size);
  const plans = senderPlans(bed);
  const nStreams = bed.streams.length;
  const inTarget = (n: number): StreamTarget => ({ group: bed.streams[n]!.group, port: bed.streams[n]!.port });
  const outTargets: StreamTarget[] = bed.streams.map((s) => ({ group: s.outGroup, port: s.outPort }));

  // Priming (RFC 3918): a short low-rate burst per stream so (*,G) routes, joins and caches settle;
  // the counting receivers start after it, so none of it is counted.
  if (t.prime) {
    const per = Math.max(3, Math.min(50, Math.floor(1000 / nStreams)));
    await Promise.all(
      plans.map((p) =>
        runSender({ netns: p.ns, interface: p.ifname, ttl: LAB_TTL, streams: p.streams.map(inTarget), count: per, rate: Math.max(100, Math.min(5000, 50 * p.streams.length)), size: t.size, ...sender }),
      ),
    );
    await sleep(300);
  }

  // One receiver per (sink, source plan): a receiver's stream ids are its --stream order, which must
  // match the sender's, so converge needs one receiver per source.
  const totalPkts = t.count !== undefined ? t.count * nStreams : undefined;
  const sendSec = t.durationSec ?? (t.rate > 0 && totalPkts ? totalPkts / t.rate : 30);
  const backstopSec = Math.ceil(sendSec + 60);
  const receivers = await Promise.all(
    topo.sinks.flatMap((sink, k) =>
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

  let senders: SenderResult[];
  let cpu0: number | null = null;
  let cpu1: number | null = null;
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
          streams: p.streams.map(inTarget),
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
  cpu1 = await bed.relay.cpuSeconds();

  // Fold: perStream with global stream ids and exact missing (sent on that stream - unique).
  const sentPerStream = new Array<number>(nStreams).fill(0);
  plans.forEach((p, i) => p.streams.forEach((n, local) => (sentPerStream[n] = senders[i]!.perStream[local] ?? 0)));
  const perStream: BedStreamReport[] = [];
  receivers.forEach((r, i) => {
    for (const s of reports[i]!.streams) {
      const n = r.plan.streams[s.stream]!;
      const sent = sentPerStream[n]!;
      const missing = Math.max(0, sent - s.unique);
      perStream.push({ ...s, stream: n, sink: r.sink, sent, missing, lossPct: sent > 0 ? (missing / sent) * 100 : 0 });
    }
  });
  perStream.sort((a, b) => a.stream - b.stream || a.sink - b.sink);
  const sum = (k: 'received' | 'unique' | 'duplicates' | 'missing' | 'reordered' | 'corrupt' | 'foreign') => perStream.reduce((a, s) => a + s[k], 0);
  const sent = senders.reduce((a, s) => a + s.sent, 0);
  const deliveriesExpected = sent * topo.sinks.length;
  const missing = sum('missing');
  const unique = sum('unique');
  if (t.expectDelivery && sent > 0 && unique === 0) throw new RelayDeliveredNothingError(bed.options.relay, sent);
  const offeredPps = t.rate;
  const achievedPps = senders.reduce((a, s) => a + s.achievedPps, 0);
  const lat = (k: 'p50' | 'p99' | 'p999' | 'max') => Math.max(0, ...reports.map((r) => r.totals.latencyUs[k] ?? 0));
  const relayCpuSeconds = cpu0 === null || cpu1 === null ? null : Math.max(0, cpu1 - cpu0);
  const machineCpuSeconds = Math.max(0, machine1 - machine0);
  return {
    relay: bed.options.relay,
    family: bed.options.family ?? 'ipv4',
    sender,
    streams: nStreams,
    size: t.size,
    offeredPps,
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
    relayCpuSeconds,
    relayCpuPerPacketUs: relayCpuSeconds === null || unique === 0 ? null : (relayCpuSeconds / unique) * 1e6,
    machineCpuSeconds,
    machineCpuPerPacketUs: unique === 0 ? 0 : (machineCpuSeconds / unique) * 1e6,
    perStream,
  };
}
