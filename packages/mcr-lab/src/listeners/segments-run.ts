// One run of the listener lab: the `segments` topology up, mcr in it with outputs that forward to
// listeners, a passive observer on every output segment, a sender offering every stream for the
// whole run, receivers (each its own host stack) joining and leaving on a schedule, and mcr's
// querier state sampled over its control socket. Returns what happened, with times on one clock
// (CLOCK_MONOTONIC ms); the checks are analysis.ts's, pure. Everything is torn down, even on failure.
import {
  inNetns,
  LAB_TTL,
  planStreams,
  run,
  runSender,
  segments,
  startObserver,
  startReceiver,
  uniquePrefix,
  up,
  type AddressFamily,
  type Lab,
  type Observation,
  type ObserverHandle,
  type ReceiverVersions,
  type SegmentSnooping,
  type SenderResult,
  type StreamSpec,
  type Topology,
} from '@mcr/netns-lab';
import { onInterrupt, type McrQuerier } from '../bed/index.js';
import { McrRelay, type McrStartOptions } from '../relays/index.js';
import { McrStatsSocket } from './control-socket.js';
import type { ListenerSpell } from './schedule.js';
import { STATS_SAMPLE_MS } from './timers.js';

/** CLOCK_MONOTONIC in ms: the clock of mcr-recv's and mcr-observe's times. */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;
const sleepUntil = async (t: number) => {
  const ms = t - monotonicMs();
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
};

/** Something done to the lab at a given time of the schedule (the bridge querier's stop). */
export interface LabEvent {
  atMs: number;
  what: string;
  run(lab: Lab): Promise<void>;
}

export interface SegmentsRunOptions {
  family: AddressFamily;
  streams: number;
  /** Aggregate pps over the streams. */
  ratePps: number;
  size: number;
  segments: number;
  receivers: number;
  /** The receivers' forced IGMP/MLD versions (the topology's default: alternating v2/v1 and v3/v2). */
  versions?: ReceiverVersions[];
  snooping?: Record<number, SegmentSnooping>;
  /** mcr's settings (forward, igmp, testOnly). */
  mcr: McrStartOptions;
  spells: ListenerSpell[];
  events?: LabEvent[];
  /** How long the schedule lasts, then how long the observers keep watching. */
  seconds: number;
  tailMs: number;
  /** Settling time between the relay's start and the schedule's start. */
  warmupMs?: number;
  onProgress: (line: string) => void;
}

/** A spell as it happened. */
export interface SpellRecord extends ListenerSpell {
  ns: string;
  /** The receiver's address on its segment: IPv4, and its link-local IPv6 (the source of its MLD messages). */
  ip: string;
  linkLocal: string;
  group: string;
  port: number;
  /** CLOCK_MONOTONIC ms: the socket joined; first and last packet it got; SIGTERM sent (the socket closes as it exits). */
  joinedMs: number | null;
  firstMs: number | null;
  lastMs: number | null;
  stopMs: number | null;
  unique: number;
  duplicates: number;
  error?: string;
}

export interface StatsSample {
  t: number;
  queriers: McrQuerier[] | undefined;
  listeners: number | undefined;
}

export interface SegmentsRunResult {
  topo: Topology;
  streams: StreamSpec[];
  /** CLOCK_MONOTONIC ms of the schedule's time 0. */
  t0: number;
  endMs: number;
  spells: SpellRecord[];
  /** Per output segment, what its observer saw. */
  observed: Observation[][];
  samples: StatsSample[];
  events: { t: number; what: string }[];
  sender: SenderResult | undefined;
  senderError?: string;
}

async function linkLocal(ns: string, ifname: string): Promise<string> {
  const { stdout } = await inNetns(ns, 'ip', ['-j', '-6', 'addr', 'show', 'dev', ifname, 'scope', 'link']);
  const info = (JSON.parse(stdout || '[]') as { addr_info?: { family?: string; local?: string }[] }[])[0]?.addr_info ?? [];
  return info.find((a) => a.family === 'inet6' && a.local)?.local ?? '';
}

export async function runSegments(o: SegmentsRunOptions): Promise<SegmentsRunResult> {
  const topo = segments({ prefix: uniquePrefix(), segments: o.segments, receivers: o.receivers, ...(o.versions ? { versions: o.versions } : {}), ...(o.snooping ? { snooping: o.snooping } : {}) });
  const outSegs = topo.segments!;
  o.onProgress(`lab ${topo.prefix}: ${topo.namespaces.length} namespaces, ${o.segments} output segments x ${o.receivers} receivers`);
  const lab = await up(topo);
  const relay = new McrRelay();
  const observers: ObserverHandle[] = [];
  const socket: { s?: McrStatsSocket } = {};
  const unregister = onInterrupt(async () => {
    await relay.stop().catch(() => undefined);
    await lab.down();
  });
  try {
    const streams = planStreams(o.streams, { family: o.family });
    await relay.start(lab, streams, { family: o.family, ...o.mcr });
    socket.s = new McrStatsSocket(relay.controlSocket!);
    for (const seg of outSegs) observers.push(await startObserver({ netns: seg.observer.ns, interface: seg.observer.ifname }));
    const addresses = new Map<string, string>();
    for (const seg of outSegs) for (const r of seg.receivers) addresses.set(r.ns, await linkLocal(r.ns, r.ifname));

    const samples: StatsSample[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const before = monotonicMs();
        try {
          const s = await socket.s!.stats();
          samples.push({ t: (before + monotonicMs()) / 2, queriers: s.queriers, listeners: s.listeners?.length });
        } catch {
          // A sample lost to a busy relay is a gap in the timeline, not a failure of the run.
        }
        await sleepUntil(before + STATS_SAMPLE_MS);
      }
    })();

    const src = topo.source;
    const totalSec = (o.warmupMs ?? 1000) / 1000 + o.seconds + o.tailMs / 1000 + 1;
    const senderRun = runSender({ netns: src.ns, interface: src.ifname, ttl: LAB_TTL, streams: streams.map((s) => ({ group: s.group, port: s.port })), rate: o.ratePps, size: o.size, durationSec: totalSec });
    senderRun.catch(() => undefined);
    const t0 = monotonicMs() + (o.warmupMs ?? 1000);
    o.onProgress(`schedule: ${o.spells.length} memberships over ${o.seconds} s from now + ${o.warmupMs ?? 1000} ms`);
    const events: { t: number; what: string }[] = [];
    const eventRuns = (o.events ?? []).map(async (e) => {
      await sleepUntil(t0 + e.atMs);
      events.push({ t: monotonicMs(), what: e.what });
      o.onProgress(`t=${(e.atMs / 1000).toFixed(1)} s: ${e.what}`);
      await e.run(lab);
    });
    const spellRuns = o.spells.map(async (spell): Promise<SpellRecord> => {
      const seg = outSegs[spell.segment]!;
      const r = seg.receivers[spell.slot]!;
      const st = streams[spell.stream]!;
      const rec: SpellRecord = {
        ...spell, ns: r.ns, ip: r.ip, linkLocal: addresses.get(r.ns) ?? '', group: st.outGroup, port: st.outPort,
        joinedMs: null, firstMs: null, lastMs: null, stopMs: null, unique: 0, duplicates: 0,
      };
      await sleepUntil(t0 + spell.joinAtMs);
      try {
        const h = await startReceiver({ netns: r.ns, interface: r.ifname, streams: [{ group: st.outGroup, port: st.outPort }], firstId: spell.stream, receiveBufferBytes: 0 });
        await sleepUntil(t0 + spell.leaveAtMs);
        rec.stopMs = monotonicMs();
        const rep = await h.stop();
        rec.joinedMs = rep.joinedMs;
        const s0 = rep.streams[0]!;
        Object.assign(rec, { firstMs: s0.firstMs, lastMs: s0.lastMs, unique: s0.unique, duplicates: s0.duplicates });
      } catch (err) {
        rec.error = (err as Error).message.split('\n')[0];
      }
      return rec;
    });
    const spells = await Promise.all(spellRuns);
    await Promise.all(eventRuns);
    const endMs = t0 + o.seconds * 1000;
    await sleepUntil(endMs + o.tailMs);
    sampling = false;
    await sampler;
    const observed: Observation[][] = [];
    for (const ob of observers.splice(0)) observed.push(await ob.stop());
    let sender: SenderResult | undefined;
    let senderError: string | undefined;
    try {
      sender = await senderRun;
    } catch (err) {
      senderError = (err as Error).message.split('\n')[0];
    }
    return { topo, streams, t0, endMs, spells, observed, samples, events, sender, ...(senderError ? { senderError } : {}) };
  } finally {
    socket.s?.close();
    await Promise.allSettled(observers.map((ob) => ob.stop()));
    await relay.stop().catch(() => undefined);
    await lab.down();
    unregister();
  }
}

/** Turns the bridge querier of output segment `segment` off (`mcast_querier 0`): the listeners scenario's half-time event. */
export function stopBridgeQuerier(segment: number): (lab: Lab) => Promise<void> {
  return async (lab) => {
    const seg = lab.topo.segments![segment]!;
    await run('ip', ['-n', seg.ns, 'link', 'set', seg.bridge, 'type', 'bridge', 'mcast_querier', '0']);
  };
}
