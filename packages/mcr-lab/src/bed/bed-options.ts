// What a bed is opened with: the relay, topology, streams and sender, defaulted and checked before
// anything is created.
import { BRANCHES, checkFamily, MAX_STREAMS, SENDER_DEFAULTS, SENDER_PROCESSES, type AddressFamily, type SenderMode, type TopologyKind } from '@mcr/netns-lab';
import { DEFAULTS, FANOUT_MODES } from '@mcr/relay';
import { isMcrRelay, RELAY_NAMES, type McrDataPlane, type McrTestOnly, type RelayName } from '../relays/index.js';

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

const RELAYS: readonly RelayName[] = RELAY_NAMES;

/** Throws a RangeError naming the option unless `v` is an integer in min..max. */
export function intIn(name: string, v: unknown, min: number, max: number): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new RangeError(`option "${name}" must be an integer in ${min}..${max}, received ${JSON.stringify(v)}`);
  }
}

/** Normalise -> default -> validate. Throws TypeError/RangeError naming the option. */
export function normaliseBedOptions(o: BedOptions): BedOptions {
  if (!RELAYS.includes(o.relay)) throw new TypeError(`option "relay" must be one of ${RELAYS.join(', ')}, received ${JSON.stringify(o.relay)}`);
  const topology = o.topology ?? 'chain';
  intIn('streams', o.streams, 1, MAX_STREAMS);
  const n: BedOptions = { ...o, topology, family: checkFamily('family', o.family ?? 'ipv4') };
  if (isMcrRelay(o.relay)) {
    n.workers = o.workers ?? DEFAULTS.workers;
    intIn('workers', n.workers, 1, DEFAULTS.maxWorkers);
    n.fanoutMode = o.fanoutMode ?? DEFAULTS.fanoutMode;
    if (!(FANOUT_MODES as readonly string[]).includes(n.fanoutMode)) throw new TypeError(`option "fanoutMode" must be ${FANOUT_MODES.join('|')}, received ${JSON.stringify(o.fanoutMode)}`);
    n.igmpJoin = o.igmpJoin ?? DEFAULTS.igmpJoin;
  } else {
    for (const k of ['workers', 'fanoutMode', 'mcrBin', 'mcrTestOnly', 'mcrDataPlane', 'mcrStateFile', 'mcrConfigStreams'] as const) {
      if (o[k] !== undefined) throw new TypeError(`option "${k}" applies to relays mcr and mcr-tc only (relay is ${o.relay})`);
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
