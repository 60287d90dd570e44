// The tc engine's program against the packet engine's C++ path, frame by frame: every frame of the
// fuzz corpus (fuzz/corpus) through a fixed table and seeded generated tables, in the C++
// reference (referenceOutputs: parse, loop guard, match, checks, per-output TTL and rewrite) and in
// the loaded BPF program through BPF_PROG_TEST_RUN (its test-only entry leaves output k's bytes in
// the frame). Which outputs send, and each one's bytes, must be identical; a frame the program
// defers to the packet engine must be one whose layout it does not rewrite in place. No namespace,
// no traffic: the outputs' ifindexes do not exist, so the attached entry's clones fail harmlessly.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { native } from '../src/native.js';
import { TcEngine } from '../src/tc-engine.js';
import type { OutputSpec, RuleSpec, TableContext } from '../src/types.js';
import { markFastPath, normalizeRules, normalizeTableContext } from '../src/validate.js';
import { seededRandom } from './helpers/seeded.js';

const corpusDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fuzz', 'corpus');
const corpus = readdirSync(corpusDir)
  .sort()
  .map((name) => ({ name, bytes: readFileSync(join(corpusDir, name)) }));

// The program's answers (TC_TEST_* in src/bpf/tc_abi.h).
const EMITTED = 100;
const SKIPPED = 101;
const NO_OUTPUT = 102;
const DEFERRED = 103;
const ANSWER_NAMES: Record<number, string> = {
  104: 'noMatch',
  105: 'ownFrames',
  106: 'badChecksum',
  107: 'rateLimited',
  108: 'error',
};

// Outputs point at ifindexes that exist nowhere: BPF_PROG_TEST_RUN really transmits a clone to an
// existing one.
const ABSENT_IFINDEX_BASE = 900_000;
const OWN_MAC = '02:00:00:00:00:02';

function why(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (CAP_BPF, CAP_NET_ADMIN) to load the program';
  const support = TcEngine.probe();
  if (!support.clsBpf || !support.helpers) return `kernel lacks: ${support.missing.join(', ')}`;
  return null;
}
const skipReason = why();
if (skipReason !== null) console.warn(`tc differential tests skipped: ${skipReason}`);

function output(k: number, group: string, extra: Partial<OutputSpec> = {}): OutputSpec {
  const ipv6 = group.includes(':');
  return {
    interface: `out${k}`,
    ifindex: ABSENT_IFINDEX_BASE + k,
    group,
    port: 6000 + k,
    ttl: 8,
    sourceAddress: ipv6 ? `fd00:99::${k + 1}` : `10.99.0.${k + 1}`,
    sourceMac: `02:99:00:00:00:${(k + 16).toString(16)}`,
    ...extra,
  };
}

// The fuzzer's fixture (fuzz/parse_fuzzer.cc) without what the tc engine leaves to the packet
// engine (unicast outputs, listener gates) and without the edge keys the schema refuses.
function fixedTable(): RuleSpec[] {
  return [
    { id: 'wild', group: '239.1.1.1', port: 5001, outputs: [output(0, '239.2.2.2', { ttl: 4 }), output(1, '239.2.2.3', { ttl: 9, ifindex: 0 }), output(2, '239.2.2.4')] },
    { id: 'ssm', group: '239.1.1.1', port: 5001, source: '10.1.2.3', outputs: [output(0, '239.3.3.3', { ttl: 1, ttlMode: 'set' })] },
    { id: 'ssm-only', group: '232.0.0.1', port: 1234, source: '192.168.0.1', outputs: [output(0, '224.0.0.251', { port: 5353, ttl: 255 })] },
    {
      id: 'wide',
      group: '239.255.255.250',
      port: 1900,
      outputs: Array.from({ length: 6 }, (_, i) => output(i, `239.255.0.${i}`, { port: 7000, ttl: 2, ...(i % 2 === 0 ? { ttlMode: 'set' as const } : {}) })),
    },
    { id: 'vlan42', group: '239.1.1.1', port: 5001, vlan: 42, outputs: [output(0, '239.42.0.1')] },
    { id: 'vlan7', group: '239.1.1.1', port: 5001, vlan: 7, maxPps: 1, outputs: [output(0, '239.7.0.1', { ttlMode: 'set' })] },
    { id: 'limited', group: '239.5.5.5', port: 5005, maxPps: 25, outputs: [output(0, '239.6.6.6', { ttl: 16 })] },
    { id: 'range16', group: '239.1.0.0', groupPrefixLength: 16, port: 5001, outputs: [output(0, '239.9.0.0', { groupPrefixLength: 16, ttl: 16 })] },
    { id: 'range16-ssm', group: '239.1.0.0', groupPrefixLength: 16, port: 5001, source: '10.7.7.7', outputs: [output(0, '239.16.0.1')] },
    { id: 'range8', group: '239.0.0.0', groupPrefixLength: 8, port: 5001, outputs: [output(0, '239.8.0.1')] },
    { id: 'wild6', group: 'ff3e::1:2', port: 5001, outputs: [output(0, 'ff3e::9:2', { ttl: 4 }), output(1, 'ff3e::9:3', { ifindex: 0 }), output(2, 'ff3e::9:4')] },
    { id: 'ssm6', group: 'ff3e::1:2', port: 5001, source: 'fd00:0:0:1::1', outputs: [output(0, 'ff05::fb', { port: 5353, ttl: 1, ttlMode: 'set' })] },
    { id: 'vlan6', group: 'ff3e::1:2', port: 5001, vlan: 42, outputs: [output(0, 'ff3e::42:1')] },
    { id: 'range6-112', group: 'ff3e::1:0', groupPrefixLength: 112, port: 5001, outputs: [output(0, 'ff3e::9:0', { groupPrefixLength: 112 })] },
    { id: 'range6-64', group: 'ff3e::', groupPrefixLength: 64, port: 5001, outputs: [output(0, 'ff3e::64:1')] },
    { id: 'range6-16', group: 'ff3e::', groupPrefixLength: 16, port: 5001, outputs: [output(0, 'ff3e::16:1', { ttlMode: 'set' })] },
  ];
}

// Keys the corpus frames carry, for generated tables to hit.
const KEYS4 = [
  { group: '239.1.1.1', port: 5001, sources: ['10.1.2.3', '10.7.7.7', '10.0.0.1'] },
  { group: '239.255.255.250', port: 1900, sources: ['10.1.2.3'] },
  { group: '232.0.0.1', port: 1234, sources: ['192.168.0.1'] },
  { group: '239.5.5.5', port: 5005, sources: ['10.1.2.3'] },
  { group: '239.1.200.3', port: 5001, sources: ['10.1.2.3'] },
];
const KEYS6 = [
  { group: 'ff3e::1:2', port: 5001, sources: ['fd00:0:0:1::1', 'fd00::7'] },
  { group: 'ff3e::1:77', port: 5001, sources: ['fd00:0:0:1::1'] },
  { group: 'ff3e::5:5:5', port: 5001, sources: ['fd00:0:0:1::1'] },
];

/** A seeded table: exact and range rules on the corpus's keys, 1..5 outputs each, mixed TTL modes. */
function generatedTable(seed: number): RuleSpec[] {
  const next = seededRandom(seed);
  const rules: RuleSpec[] = [];
  const taken = new Set<string>();
  for (let i = 0; i < 14; i++) {
    const ipv6 = next(3) === 0;
    const key = ipv6 ? KEYS6[next(KEYS6.length)]! : KEYS4[next(KEYS4.length)]!;
    const bits = ipv6 ? 128 : 32;
    const prefix = next(2) === 0 ? bits : ipv6 ? [16, 64, 112][next(3)]! : [8, 16, 24][next(3)]!;
    const group = ipv6 ? maskV6(key.group, prefix) : maskV4(key.group, prefix);
    const source = next(3) === 0 ? key.sources[next(key.sources.length)] : undefined;
    const vlan = next(5) === 0 ? [7, 42][next(2)] : undefined;
    const id = `${group}/${prefix}:${key.port}:${source ?? '*'}:${vlan ?? '-'}`;
    if (taken.has(id)) continue;
    taken.add(id);
    const outputs = Array.from({ length: 1 + next(5) }, (_, k) => {
      const maps = prefix < bits && next(2) === 0;
      const base = ipv6 ? `ff3e::${(0x100 + next(200)).toString(16)}:0` : `239.${100 + next(100)}.0.0`;
      const target = maps ? (ipv6 ? maskV6(base, prefix) : maskV4(base, prefix)) : ipv6 ? `ff3e::${(0x200 + k).toString(16)}:${next(65535).toString(16)}` : `239.${200 + k}.${next(256)}.${next(256)}`;
      return output(k, target, {
        port: 1 + next(65535),
        ttl: 1 + next(255),
        ...(maps ? { groupPrefixLength: prefix } : {}),
        ...(next(4) === 0 ? { ttlMode: 'set' as const } : {}),
        ...(next(8) === 0 ? { ifindex: 0 } : {}),
      });
    });
    rules.push({
      id,
      group,
      ...(prefix < bits ? { groupPrefixLength: prefix } : {}),
      port: key.port,
      ...(source === undefined ? {} : { source }),
      ...(vlan === undefined ? {} : { vlan }),
      ...(next(6) === 0 ? { maxPps: 1 + next(100) } : {}),
      outputs,
    });
  }
  return rules;
}

function maskV4(address: string, prefix: number): string {
  const n = address.split('.').reduce((a, b) => (a << 8) | Number(b), 0) >>> 0;
  const m = prefix === 0 ? 0 : (n & (0xffffffff << (32 - prefix))) >>> 0;
  return [24, 16, 8, 0].map((s) => (m >>> s) & 0xff).join('.');
}

function maskV6(address: string, prefix: number): string {
  const [head, tail = ''] = address.split('::');
  const parts = (p: string) => (p === '' ? [] : p.split(':').map((g) => parseInt(g, 16)));
  const left = parts(head!);
  const right = parts(tail);
  const words = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const masked = words.map((w, i) => {
    const bits = Math.max(0, Math.min(16, prefix - i * 16));
    return bits === 0 ? 0 : w & ((0xffff << (16 - bits)) & 0xffff);
  });
  return masked.map((w) => w.toString(16)).join(':');
}

/**
 * Whether the program rewrites this frame in place (else it defers it to the packet engine),
 * stated independently of the program: no 802.1Q tag in the bytes, IPv4 with IHL 5 and only DF in
 * flags and a UDP datagram that fills the packet and the frame, or IPv6 with UDP first, filling the
 * frame, and a checksum other than 0.
 */
function inPlaceLayout(f: Buffer): boolean {
  if (f.length < 14) return false;
  const type = f.readUInt16BE(12);
  if (type === 0x0800) {
    if (f.length < 42 || f[14] !== 0x45 || (f.readUInt16BE(20) & 0xbfff) !== 0 || f[23] !== 17) return false;
    const total = f.readUInt16BE(16);
    return total === f.length - 14 && f.readUInt16BE(38) === total - 20 && total >= 28;
  }
  if (type === 0x86dd) {
    if (f.length < 62 || f[14]! >> 4 !== 6 || f[20] !== 17) return false;
    const payload = f.readUInt16BE(18);
    return payload !== 0 && payload === f.length - 54 && f.readUInt16BE(58) === payload && f.readUInt16BE(60) !== 0;
  }
  return false;
}

/** Whether BPF_PROG_TEST_RUN takes the frame: an Ethernet header, and a whole IP header if it says IP. */
function testable(f: Buffer): boolean {
  if (f.length < 14) return false;
  const type = f.readUInt16BE(12);
  if (type === 0x0800) return f.length >= 14 + 20;
  if (type === 0x86dd) return f.length >= 14 + 40;
  return true;
}

interface Decision {
  deferred: boolean;
  answer: string; // 'send' or the counter that took the frame
  outputs: Map<number, string>; // output index -> hex bytes
}

function referenceDecision(frame: Buffer, rules: RuleSpec[], context: TableContext, vlan: number): Decision {
  const ref = native.referenceOutputs(frame, normalizeRules('rules', rules), normalizeTableContext('context', context), vlan);
  const c = ref.counters;
  const answer =
    c.ownFrames ? 'ownFrames' : c.badChecksum ? 'badChecksum' : c.rateLimited ? 'rateLimited' : c.matched ? 'send' : 'noMatch';
  const outputs = new Map<number, string>();
  for (const o of ref.outputs) outputs.set(o.output, o.bytes.toString('hex'));
  return { deferred: false, answer, outputs };
}

/**
 * Whether the packet engine, with every rule on the fast path, leaves the frame to the tc engine
 * (counted fastPath): it must be exactly the frames the program takes and finds a rule for.
 */
function leftToProgram(frame: Buffer, rules: RuleSpec[], context: TableContext, vlan: number): boolean {
  const fast = { ...context, fastPathRules: rules.map((r) => r.id) };
  const compiled = markFastPath(normalizeRules('rules', rules), fast);
  const ref = native.referenceOutputs(frame, compiled, normalizeTableContext('context', fast), vlan);
  expect(ref.outputs).toHaveLength(ref.counters.fastPath ? 0 : ref.outputs.length);
  return ref.counters.fastPath === 1;
}

function programDecision(engine: TcEngine, frame: Buffer, vlan: number, takeToken: boolean): Decision {
  const handle = engine.testHandle;
  const outputs = new Map<number, string>();
  for (let k = 0; ; k++) {
    const run = handle.testEmit(frame, k, vlan, takeToken && k === 0);
    if (run.retval === DEFERRED) return { deferred: true, answer: 'deferred', outputs };
    if (run.retval === NO_OUTPUT) break;
    if (run.retval === EMITTED) outputs.set(k, run.frame.toString('hex'));
    else if (run.retval !== SKIPPED) return { deferred: false, answer: ANSWER_NAMES[run.retval] ?? `retval ${run.retval}`, outputs };
  }
  return { deferred: false, answer: 'send', outputs };
}

describe.skipIf(skipReason !== null)('tc engine: BPF program against the C++ reference', () => {
  let engine: TcEngine;
  const context: TableContext = { ownMacs: [OWN_MAC] };

  beforeAll(() => {
    engine = new TcEngine({ interface: 'lo', ifindex: 1 });
  });
  afterAll(async () => {
    await engine.close();
  });

  /** Every corpus frame, untagged and with VLAN 42 / 7 in the skb metadata; returns the tallies. */
  function compareTable(rules: RuleSpec[], label: string, buckets: 'fresh' | 'untouched'): { compared: number; deferred: number; sent: number; untestable: number } {
    const tally = { compared: 0, deferred: 0, sent: 0, untestable: 0 };
    for (const { name, bytes } of corpus) {
      // BPF_PROG_TEST_RUN refuses (EINVAL) a frame shorter than an Ethernet header or whose IPv4 /
      // IPv6 header is cut short; none of those has a layout the program would rewrite.
      if (!testable(bytes)) {
        expect(inPlaceLayout(bytes), `${label} frame ${name}: not testable`).toBe(false);
        tally.untestable++;
        continue;
      }
      for (const vlan of [-1, 42, 7]) {
        // 'fresh': full rate-limit buckets for every frame, as the reference's (a table without the
        // rules, then with them: new slots). 'untouched': one table, and the program takes no token
        // (a full bucket lets any first frame pass, so the reference never limits either).
        if (buckets === 'fresh') {
          engine.setRules([], context);
          engine.setRules(rules, context);
        }
        const program = programDecision(engine, bytes, vlan, buckets === 'fresh');
        const where = `${label} frame ${name} vlan ${vlan}`;
        const ruled = !program.deferred && ['send', 'badChecksum', 'rateLimited'].includes(program.answer);
        expect(leftToProgram(bytes, rules, context, vlan), `${where}: the packet engine leaves it to the program`).toBe(ruled);
        if (program.deferred) {
          expect(inPlaceLayout(bytes), `${where}: deferred, yet its layout is rewritable in place`).toBe(false);
          tally.deferred++;
          continue;
        }
        expect(inPlaceLayout(bytes), `${where}: taken, yet its layout is not rewritable in place`).toBe(true);
        const reference = referenceDecision(bytes, rules, context, vlan);
        expect(program.answer, `${where}: decision`).toBe(reference.answer);
        expect([...program.outputs.keys()], `${where}: outputs sent`).toEqual([...reference.outputs.keys()]);
        for (const [k, hex] of reference.outputs) expect(program.outputs.get(k), `${where}: output ${k} bytes`).toBe(hex);
        tally.compared++;
        tally.sent += program.outputs.size;
        // The attached entry's own run: its clones fail (no such ifindex), the original goes on untouched.
        const ingress = engine.testHandle.testIngress(bytes);
        expect(ingress.retval, `${where}: ingress verdict`).toBe(0);
        expect(ingress.frame.toString('hex'), `${where}: original restored`).toBe(bytes.toString('hex'));
      }
    }
    return tally;
  }

  it('decides and rewrites every corpus frame as the packet engine does (fixed table)', () => {
    const tally = compareTable(fixedTable(), 'fixed', 'fresh');
    console.log(`fixed table: ${tally.compared} (frame, vlan) pairs compared, ${tally.sent} outputs identical, ${tally.deferred} deferred, ${tally.untestable} frames not testable`);
    expect(tally.sent).toBeGreaterThan(40);
  });

  it('does the same for 24 seeded generated tables', () => {
    let sent = 0;
    let compared = 0;
    for (let seed = 1; seed <= 24; seed++) {
      const rules = generatedTable(seed);
      engine.setRules(rules, context);
      const tally = compareTable(rules, `seed ${seed}`, 'untouched');
      sent += tally.sent;
      compared += tally.compared;
    }
    console.log(`generated tables: ${compared} (frame, vlan) pairs compared, ${sent} outputs identical`);
    expect(sent).toBeGreaterThan(200);
  });

  it('keeps a rule\'s counters across a table swap that keeps its id, and counts in the packet engine\'s shape', () => {
    const rules = fixedTable();
    const frame = corpus.find((c) => c.name === 'udp-basic')!.bytes;
    engine.setRules([], context);
    engine.setRules(rules, context);
    engine.testHandle.testIngress(frame);
    engine.setRules([...rules].reverse(), context);
    engine.testHandle.testIngress(frame);
    const counters = engine.counters();
    const ssm = counters.rules.find((r) => r.id === 'ssm')!;
    expect(ssm.matched).toBe(2);
    expect(ssm.outputs[0]!.txErrors).toBe(2); // the clone to a missing ifindex failed, counted
    expect(counters.rules.map((r) => r.id)).toEqual([...rules].reverse().map((r) => r.id));
  });

  it('refuses what it cannot take, naming the rule and the reason', () => {
    const gated: RuleSpec = { id: 'gated', group: '239.1.1.1', port: 5001, outputs: [output(0, '239.2.2.2', { listeners: [] })] };
    expect(() => engine.setRules([gated])).toThrow(/gated.*listener gates/);
    const unicast: RuleSpec = { id: 'uni', group: '239.1.1.1', port: 5001, outputs: [output(0, '10.0.0.9')] };
    expect(() => engine.setRules([unicast])).toThrow(/uni.*unicast/);
    const many: RuleSpec = { id: 'many', group: '239.1.1.1', port: 5001, outputs: Array.from({ length: 17 }, (_, k) => output(k, `239.2.2.${k}`)) };
    expect(() => engine.setRules([many])).toThrow(/many.*17 outputs/);
  });
});
