// loop: no wiring can make mcr storm.
//   1. One segment (`segment` topology): the relay's in0 and out0 on one plain bridge, rule G:P -> G:P.
//      A datagram with TTL 1 is relayed at most once, one with TTL 8 exactly once: the copy that comes
//      back on in0 is the relay's own frame (`ownFrames`).
//   2. Two relays in a ring (`ring` topology), G:P -> G:P each way: a datagram with TTL 8 is relayed at
//      most 7 times in all (each hop decrements the TTL), and both relays are quiet afterwards.
// Negative control `--inject-bug no-loop-guard`: the relays run with `testOnly.disableLoopGuard` (no
// own-frame check, TTL set rather than decremented); the same datagrams circulate for ever and the
// scenario must fail.
import { McrControl, type McrStats } from '../bed/index.js';
import {
  type AddressFamily,
  type Lab,
  ring,
  runSender,
  segment,
  startReceiver,
  type StreamSpec,
  uniquePrefix,
} from '@mcr/netns-lab';
import { McrRelay, type McrStartOptions } from '../relays/index.js';
import type { ScenarioOptions } from './options.js';
import { makeReport, type Row, type ScenarioReport, type Violation } from './report.js';
import { sleep, withLab } from './common.js';

/** The looping rule's group per family (IPv6: the hop limit plays the TTL's part). */
const GROUPS: Record<AddressFamily, string> = { ipv4: '239.77.0.1', ipv6: 'ff3e::77:1' };
const PORT = 7000;
const stream = (family: AddressFamily): StreamSpec => ({ group: GROUPS[family], port: PORT, outGroup: GROUPS[family], outPort: PORT });
/** The TTL a relayed packet gets when the input allows it: as high as a user would configure. */
const CONFIGURED_TTL = 8;
/** A loop relays a datagram within microseconds per hop; a second is ample for it to die out, or storm. */
const SETTLE_MS = 1000;
/** After settling, the relays must stay quiet this long. */
const QUIET_MS = 500;

type LoopStats = McrStats & { totals: McrStats['totals'] & { ownFrames?: number; ttlExpired?: number } };

/** Starts one mcr per relay namespace of the lab, each with the rule G:P -> G:P. */
async function withRelays<T>(lab: Lab, o: ScenarioOptions, fn: (controls: McrControl[]) => Promise<T>): Promise<T> {
  const relays: McrRelay[] = [];
  try {
    const controls: McrControl[] = [];
    for (let i = 0; i < lab.topo.relays.length; i++) {
      const relay = new McrRelay();
      relays.push(relay);
      const opts: McrStartOptions = {
        relay: i,
        family: o.family,
        ttl: CONFIGURED_TTL,
        workers: o.workers,
        ...(o.injectBug === 'no-loop-guard' ? { testOnly: { disableLoopGuard: true } } : {}),
      };
      await relay.start(lab, [stream(o.family)], opts);
      controls.push(new McrControl(relay, lab.topo.relays[i]!.ns));
    }
    return await fn(controls);
  } finally {
    for (const relay of relays.reverse()) await relay.stop();
  }
}

async function totals(controls: McrControl[]): Promise<{ forwarded: number; ownFrames: number; ttlExpired: number }> {
  const all = (await Promise.all(controls.map((c) => c.stats()))) as LoopStats[];
  return {
    forwarded: all.reduce((n, s) => n + s.totals.forwarded, 0),
    ownFrames: all.reduce((n, s) => n + (s.totals.ownFrames ?? 0), 0),
    ttlExpired: all.reduce((n, s) => n + (s.totals.ttlExpired ?? 0), 0),
  };
}

interface Probe {
  topology: 'segment' | 'ring';
  ttl: number;
  /** Relayed copies allowed: [min, max]. */
  expected: [number, number];
}

/** Sends one datagram with `probe.ttl` and counts what the relays made of it. */
async function runProbe(lab: Lab, controls: McrControl[], probe: Probe, o: ScenarioOptions): Promise<{ row: Row; violations: Violation[] }> {
  const src = lab.topo.source;
  const sink = lab.topo.sinks[0]!;
  // An independent count beside the relays' own: every copy on the sink's segment reaches the sink.
  const target = { group: GROUPS[o.family], port: PORT };
  const receiver = await startReceiver({ netns: sink.ns, interface: sink.ifname, streams: [target] });
  const before = await totals(controls);
  await runSender({ netns: src.ns, interface: src.ifname, streams: [target], count: 1, ttl: probe.ttl });
  await sleep(SETTLE_MS);
  const settled = await totals(controls);
  await sleep(QUIET_MS);
  const after = await totals(controls);
  const atSink = (await receiver.stop()).totals.received;
  const relayed = settled.forwarded - before.forwarded;
  const lateCopies = after.forwarded - settled.forwarded;
  const [min, max] = probe.expected;
  const what = `${probe.topology}, one datagram with TTL ${probe.ttl}`;
  o.onProgress(`loop: ${what}: relayed ${relayed} time(s)${lateCopies ? `, ${lateCopies} more after ${SETTLE_MS} ms` : ''}`);
  const violations: Violation[] = [];
  if (relayed > max) {
    violations.push({ metric: 'relayed', value: relayed, threshold: max,
      message: `${what}: relayed ${relayed} times, at most ${max} allowed: the relays loop` });
  } else if (relayed < min) {
    violations.push({ metric: 'relayed', value: relayed, threshold: min,
      message: `${what}: relayed ${relayed} times, expected at least ${min}: the relay does not forward` });
  }
  // The sink's own count: on the segment it sees the original too; in the ring only relay 0's copies.
  const sinkCopies = probe.topology === 'segment' ? atSink - 1 : atSink;
  if (sinkCopies > max && relayed <= max) {
    violations.push({ metric: 'atSink', value: sinkCopies, threshold: max,
      message: `${what}: the sink received ${sinkCopies} relayed copies, at most ${max} allowed, though the relays count ${relayed}` });
  }
  if (lateCopies > 0) {
    violations.push({ metric: 'lateCopies', value: lateCopies, threshold: 0,
      message: `${what}: still relaying ${SETTLE_MS} ms later (${lateCopies} copies in ${QUIET_MS} ms): the loop does not die out` });
  }
  const row: Row = {
    topology: probe.topology,
    ttl: probe.ttl,
    relayed,
    allowed: min === max ? `${min}` : `${min}..${max}`,
    lateCopies,
    atSink,
    ownFrames: after.ownFrames - before.ownFrames,
    ttlExpired: after.ttlExpired - before.ttlExpired,
  };
  return { row, violations };
}

export async function loop(o: ScenarioOptions): Promise<ScenarioReport> {
  const guard = o.injectBug === 'no-loop-guard' ? 'loop guard OFF (inject-bug no-loop-guard)' : 'default loop guard';
  o.onProgress(`loop: mcr, ${o.workers} worker(s), ${guard}`);
  const rows: Row[] = [];
  const violations: Violation[] = [];
  const record = (r: { row: Row; violations: Violation[] }) => {
    rows.push(r.row);
    violations.push(...r.violations);
  };

  await withLab(segment({ prefix: uniquePrefix() }), (lab) =>
    withRelays(lab, o, async (controls) => {
      // TTL 1 first: with the guard it is not relayed at all, so the TTL-8 probe starts from silence.
      record(await runProbe(lab, controls, { topology: 'segment', ttl: 1, expected: [0, 1] }, o));
      record(await runProbe(lab, controls, { topology: 'segment', ttl: 8, expected: [1, 1] }, o));
    }),
  );
  await withLab(ring({ prefix: uniquePrefix() }), (lab) =>
    withRelays(lab, o, async (controls) => {
      // Each relay decrements the TTL: 8 -> 7 (relay 0), 6 (relay 1), ... 1 (relay 0); relay 1 drops that.
      record(await runProbe(lab, controls, { topology: 'ring', ttl: 8, expected: [1, 7] }, o));
    }),
  );

  return makeReport(o, {
    violations,
    columns: ['topology', 'ttl', 'relayed', 'allowed', 'lateCopies', 'atSink', 'ownFrames', 'ttlExpired'],
    rows,
    summary: [
      `mcr, ${guard}, ${o.family}: rule ${GROUPS[o.family]}:${PORT} -> ${GROUPS[o.family]}:${PORT} (configured TTL ${CONFIGURED_TTL}) with input and output on one segment, then two relays in a ring`,
      `relayed = packets the relays sent within ${SETTLE_MS} ms of one datagram; lateCopies = packets sent in the ${QUIET_MS} ms after that;`,
      'atSink = datagrams the sink received (segment: the original and every copy; ring: relay 0\'s copies)',
    ],
    details: {},
  });
}
