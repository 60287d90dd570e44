// Loop guard, rate limit, VLAN matching, passive mode (ALLMULTI), absent outputs, the table limits
// and the test-only fault switch, on the real chain (src ns -> relay ns -> sink ns).
import { inNetns, runSender, udpFrame } from '@mcr/netns-lab';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { NATIVE_LIMITS, type OutputSpec, type RuleSpec } from '../src/index.js';
import { AgentCallError } from './helpers/agent.js';
import { ChainBed, IN_GROUP, IN_PORT, OUT_PORT, type Worker } from './helpers/chain-bed.js';
import { seededRandom } from './helpers/seeded.js';
import { withTag } from './helpers/vlan-tag.js';

describe('data-plane safety (src -> relay -> sink)', () => {
  const bed = new ChainBed();
  beforeAll(() => bed.up());
  afterEach(() => bed.cleanup());
  afterAll(() => bed.down());

  it("never relays a frame from one of the host's own MACs (ownFrames); other sources pass", async () => {
    // The crafted frames carry 02:00:00:00:00:01 as their source: here it stands for a MAC of
    // this host whose frame came back over a loop.
    const own = '02:00:00:00:00:01';
    const worker = await bed.worker([bed.rule('r', [bed.output()])], { ownMacs: [bed.mac.relayIn, bed.mac.relayOut, own] });
    await bed.inject([udpFrame({ group: IN_GROUP, port: IN_PORT }), udpFrame({ group: IN_GROUP, port: IN_PORT, ttl: 1 })]);
    await bed.send(50);
    const c = await worker.waitFor((v) => v.forwarded >= 50 && v.ownFrames >= 2);
    expect(c).toMatchObject({ ownFrames: 2, matched: 50, forwarded: 50 });
    // [] turns the guard off: the same frame is relayed.
    await worker.setRules([bed.rule('r', [bed.output()])], { ownMacs: [] });
    await bed.inject([udpFrame({ group: IN_GROUP, port: IN_PORT })]);
    expect(await worker.waitFor((v) => v.forwarded >= 51)).toMatchObject({ ownFrames: 2, matched: 51, forwarded: 51 });
  });

  /** 20 datagrams the relay's host sends out of the input, then 10 from the source: only those 10 may be read. */
  async function ownTransmissionsThenSource(worker: Worker): Promise<void> {
    const before = await worker.counters();
    const sent = await runSender({
      netns: bed.ns.relay,
      interface: bed.dev.relayIn,
      streams: [{ group: IN_GROUP, port: IN_PORT }],
      count: 20,
      size: 64,
      rate: 10_000,
    });
    expect(sent.sent).toBe(20);
    await bed.send(10); // then traffic from the source, which must be read
    const c = await worker.waitFor((v) => v.forwarded >= before.forwarded + 10);
    const delta = (key: 'framesSeen' | 'matched' | 'forwarded' | 'ownFrames') => c[key] - before[key];
    expect({ framesSeen: delta('framesSeen'), matched: delta('matched'), forwarded: delta('forwarded'), ownFrames: delta('ownFrames') }).toEqual({
      framesSeen: 10,
      matched: 10,
      forwarded: 10,
      ownFrames: 0,
    });
  }

  it('never reads what the host itself sends on the input, in a fanout group too (PACKET_FANOUT_FLAG_IGNORE_OUTGOING, probed)', async () => {
    // A fanout group ignores its members' PACKET_IGNORE_OUTGOING: without the group's own flag the
    // worker read (and relayed) every datagram the host sent on its input interface. This kernel
    // (6.7 or later) honours the flag, and the worker's probe finds so.
    const worker = await bed.worker([bed.rule('r', [bed.output()])]);
    expect(await worker.agent.call('worker.ignoreOutgoing', { id: 'w' })).toEqual({ mode: 'fanout-flag', probe: 'honoured' });
    await ownTransmissionsThenSource(worker);
  });

  it('drops the host\'s own frames with its filter where the fanout flag has no effect (TEST-ONLY switch: joined without it)', async () => {
    // As on a kernel before 6.7, which accepts the flag and ignores it: the probe sees the host's own
    // frame reach a group that asked for the flag, and the ring's filter drops what the group lets in.
    const worker = await bed.worker([bed.rule('r', [bed.output()])], undefined, { fanoutIgnoreOutgoingUnsupported: true });
    // The probe's own group, joined without the flag too, saw the host's frame: the probe can tell.
    expect(await worker.agent.call('worker.ignoreOutgoing', { id: 'w' })).toEqual({ mode: 'filter', probe: 'ignored' });
    await ownTransmissionsThenSource(worker);
    // The filter follows every table: still in place after a swap.
    await worker.setRules([bed.rule('r', [bed.output()]), bed.rule('other', [bed.output(OUT_PORT + 1)], { port: IN_PORT + 1 })]);
    await ownTransmissionsThenSource(worker);
  });

  it('needs no probe without a fanout group: the socket option drops the host\'s own frames', async () => {
    const worker = await bed.worker([bed.rule('r', [bed.output()])], undefined, { fanout: null });
    expect(await worker.agent.call('worker.ignoreOutgoing', { id: 'w' })).toEqual({ mode: 'socket-option', probe: 'none' });
    await ownTransmissionsThenSource(worker);
  });

  it('caps a rule at maxPps (token bucket, burst maxPps/10) and counts the rest as rateLimited', async () => {
    const worker = await bed.worker([bed.rule('r', [bed.output()], { maxPps: 100 })]);
    await bed.send(1000, { rate: 10_000 });
    const c = await worker.waitFor((v) => v.matched >= 1000);
    // 10 frames of burst plus 100/s while the 1000 frames take 0.1 s (longer on a busy machine).
    expect(c.forwarded).toBeGreaterThanOrEqual(10);
    expect(c.forwarded).toBeLessThan(200);
    expect(c.matched).toBe(1000);
    expect(c.rateLimited).toBe(1000 - c.forwarded);
    expect(c.rules[0]).toMatchObject({ matched: 1000, rateLimited: c.rateLimited });
    // The bucket belongs to the rule id: a swap that keeps the id keeps it (empty now).
    await worker.setRules([bed.rule('r', [bed.output()], { maxPps: 100 })]);
    await bed.send(100, { rate: 20_000 });
    const after = await worker.waitFor((v) => v.matched >= 1100);
    expect(after.forwarded - c.forwarded).toBeLessThan(40);
  });

  it('matches a VLAN tag (moved into ring metadata by veth) only to a rule naming that VLAN, in the kernel filter too', async () => {
    const worker = await bed.worker([bed.rule('untagged', [bed.output(OUT_PORT)]), bed.rule('vlan42', [bed.output(OUT_PORT + 1)], { vlan: 42 })]);
    const frame = (vlan: number | null) => udpFrame({ group: IN_GROUP, port: IN_PORT, vlan });
    await bed.inject([frame(null), frame(null), frame(42), frame(42), frame(42), frame(43), frame(null)]);
    const c = await worker.waitFor((v) => v.matched >= 6);
    expect(c.rules.map((r) => [r.id, r.matched])).toEqual([
      ['untagged', 3],
      ['vlan42', 3],
    ]);
    expect(c.forwarded).toBe(6);
    // VLAN 43 is no rule's key: the ring's kernel filter drops it, so userspace never sees it. It was
    // injected before the last untagged frame, which has arrived.
    expect(c.noMatch).toBe(0);
    expect(c.framesSeen).toBe(6);
  });

  it('matches a priority tag (VLAN 0, 802.1p) as untagged, in ring metadata and in the bytes, in the kernel filter too', async () => {
    const worker = await bed.worker([bed.rule('untagged', [bed.output(OUT_PORT)]), bed.rule('vlan42', [bed.output(OUT_PORT + 1)], { vlan: 42 })]);
    const plain = udpFrame({ group: IN_GROUP, port: IN_PORT });
    await bed.inject([
      withTag(plain, 0), // priority tag: veth moves it into metadata
      withTag(withTag(plain, 0), 0), // two: metadata and bytes both VLAN 0
      withTag(withTag(plain, 42), 0), // priority tag outside an 802.1Q tag: the inner VLAN counts
      withTag(withTag(plain, 0), 42), // VLAN 42 outside a priority tag
      withTag(plain, 0),
    ]);
    const c = await worker.waitFor((v) => v.matched >= 5);
    expect(c.rules.map((r) => [r.id, r.matched])).toEqual([
      ['untagged', 3],
      ['vlan42', 2],
    ]);
    expect(c).toMatchObject({ framesSeen: 5, noMatch: 0, forwarded: 5 });
  });

  it('refuses vlan 0 in a rule: a priority tag belongs to no VLAN', async () => {
    const worker = await bed.worker([]);
    const error = await worker.setRules([bed.rule('r', [bed.output()], { vlan: 0 })]).catch((e: unknown) => e);
    expect((error as AgentCallError).detail).toMatchObject({ name: 'RangeError', message: 'rules[0].vlan: must be 1..4095, got 0' });
  });

  it('passes a double-tagged frame through the kernel filter by its outer tag (metadata), with the IPv4 header after the inner tag', async () => {
    const worker = await bed.worker([bed.rule('vlan42', [bed.output()], { vlan: 42 })]);
    // veth moves the outer tag into metadata; the inner one stays in the bytes: the filter's
    // in-frame-tag layout (IPv4 at 18) with the metadata VLAN winning, as the loop reads it.
    const inner = udpFrame({ group: IN_GROUP, port: IN_PORT, vlan: 7 });
    const doubleTagged = Buffer.concat([inner.subarray(0, 12), Buffer.from([0x81, 0x00, 0x00, 42]), inner.subarray(12)]);
    const otherOuter = Buffer.concat([inner.subarray(0, 12), Buffer.from([0x81, 0x00, 0x00, 43]), inner.subarray(12)]);
    await bed.inject([otherOuter, doubleTagged]);
    const c = await worker.waitFor((v) => v.matched >= 1);
    expect(c).toMatchObject({ matched: 1, forwarded: 1, noMatch: 0, framesSeen: 1 });
  });

  it('holds ALLMULTI on the input while an allMulticast worker runs, and only then', async () => {
    // dev->flags as sysfs shows them (`ip link` shows only the ALLMULTI an administrator set).
    const allMulti = async () => {
      const { stdout } = await inNetns(bed.ns.relay, 'cat', [`/sys/class/net/${bed.dev.relayIn}/flags`]);
      return (Number.parseInt(stdout.trim(), 16) & 0x200) !== 0; // IFF_ALLMULTI
    };
    expect(await allMulti()).toBe(false);
    const plain = await bed.worker([], undefined, { allMulticast: false });
    expect(await allMulti()).toBe(false);
    await plain.stop();
    const passive = await bed.worker([bed.rule('r', [bed.output()])], undefined, { allMulticast: true });
    expect(await allMulti()).toBe(true);
    await bed.send(20);
    expect((await passive.waitFor((v) => v.forwarded >= 20)).forwarded).toBe(20);
    await passive.stop();
    expect(await allMulti()).toBe(false);
  });

  it('keeps an absent output (ifindex 0) in the table, sends nothing on it, counts outputAbsent', async () => {
    const absent: OutputSpec = { ...bed.output(OUT_PORT + 1), interface: 'gone0', ifindex: 0 };
    const worker = await bed.worker([bed.rule('r', [absent, bed.output()])]);
    await bed.send(100);
    const c = await worker.waitFor((v) => v.forwarded >= 100);
    expect(c).toMatchObject({ matched: 100, forwarded: 100, outputAbsent: 100, txErrors: 0 });
    expect(c.rules[0]!.outputs.map((o) => o.packets)).toEqual([0, 100]);
  });

  it('accepts 64 outputs on a running worker; 65 are refused naming the limit, the table stays', async () => {
    const outputs = (n: number) => Array.from({ length: n }, (_, k) => bed.output(7000 + k));
    const worker = await bed.worker([bed.rule('r', [bed.output()])]);
    await worker.setRules([bed.rule('wide', outputs(NATIVE_LIMITS.maxOutputsPerRule))]);
    const error = await worker.setRules([bed.rule('wider', outputs(NATIVE_LIMITS.maxOutputsPerRule + 1))]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentCallError);
    expect((error as AgentCallError).detail).toMatchObject({
      name: 'RangeError',
      message: 'rules[0].outputs: must hold at most 64 outputs (NATIVE_LIMITS.maxOutputsPerRule), got 65',
    });
    const tooMany = Array.from({ length: NATIVE_LIMITS.maxRulesPerTable + 1 }, (_, i) => bed.rule(`r${i}`, []));
    expect(((await worker.setRules(tooMany).catch((e: unknown) => e)) as AgentCallError).detail.name).toBe('RangeError');
    await bed.send(10);
    const c = await worker.waitFor((v) => v.forwarded >= 640);
    expect(c.rules.map((r) => [r.id, r.outputs.length])).toEqual([['wide', 64]]);
    expect(c).toMatchObject({ matched: 10, forwarded: 640, txErrors: 0 });
  });

  it('takes a full table of 4096 rules with absent and present outputs', async () => {
    const rules = Array.from({ length: NATIVE_LIMITS.maxRulesPerTable }, (_, i) =>
      bed.rule(`r${i}`, [i % 2 === 0 ? bed.output() : { ...bed.output(), ifindex: 0 }], { group: `239.2.${i >> 8}.${i & 0xff}` }),
    );
    rules[0] = bed.rule('r0', [bed.output()]);
    const worker = await bed.worker(rules);
    await bed.send(10);
    expect(await worker.waitFor((v) => v.forwarded >= 10)).toMatchObject({ matched: 10, forwarded: 10 });
  });

  it('never crashes on any table validation accepts: each setRules applies or throws, forwarding goes on', async () => {
    // A seeded generator of valid but hostile tables: absent, unknown and loopback ifindexes,
    // unicast outputs to odd addresses, sources not on the interface, VLANs, rate limits, own MACs.
    const next = seededRandom(0x5eed);
    const pick = <T>(items: readonly T[]): T => items[next(items.length)]!;
    const ip = () => `${next(256)}.${next(256)}.${next(256)}.${next(256)}`;
    const randomOutput = (): OutputSpec => ({
      ...bed.output(1 + next(65535)),
      ifindex: pick([0, 1, 99999, bed.output().ifindex, bed.output().ifindex]),
      group: pick([ip(), '255.255.255.255', '0.0.0.0', '239.9.9.1', `224.0.0.${next(256)}`]),
      ttl: 1 + next(255),
      sourceAddress: pick([ip(), '0.0.0.0', bed.output().sourceAddress]),
      ...(next(2) === 0 ? { ttlMode: pick(['set', 'decrement'] as const) } : {}),
    });
    // IPv6 rules and ranges of both families too (no IPv6 address is configured here: every
    // unicast IPv6 output's bind fails, a NativeError).
    const hex = () => next(0x10000).toString(16);
    const ip6 = () => pick([`ff3e::${hex()}:${hex()}`, `fd00::${hex()}`, '::', `fe80::${hex()}`, `ff02::${hex()}`]);
    const randomOutput6 = (prefix?: number): OutputSpec => ({
      ...randomOutput(),
      group: prefix !== undefined && next(2) === 0 ? 'ff3e::9:0' : ip6(),
      ...(prefix !== undefined && next(2) === 0 ? { group: 'ff3e::9:0', groupPrefixLength: prefix } : {}),
      sourceAddress: pick([ip6(), '::']),
    });
    const randomRule = (i: number): RuleSpec => {
      const id = `r${next(4)}-${i}`;
      const common = {
        port: pick([IN_PORT, 1 + next(65535)]),
        ...(next(3) === 0 ? { vlan: 1 + next(4095) } : {}),
        ...(next(3) === 0 ? { maxPps: 1 + next(NATIVE_LIMITS.maxPps) } : {}),
      };
      const kind = next(4);
      if (kind === 0) {
        const prefix = next(2) === 0 ? 112 : undefined;
        return bed.rule(id, Array.from({ length: next(4) }, () => randomOutput6(prefix)), {
          ...common,
          group: prefix === undefined ? `ff3e::1:${next(4)}` : 'ff3e::1:0',
          ...(prefix === undefined ? {} : { groupPrefixLength: prefix }),
          ...(next(4) === 0 ? { source: ip6() } : {}),
        });
      }
      const range = kind === 1;
      return bed.rule(
        id,
        Array.from({ length: next(4) }, () => ({ ...randomOutput(), ...(range && next(2) === 0 ? { group: '239.9.0.0', groupPrefixLength: 16 } : {}) })),
        {
          ...common,
          group: range ? '239.1.0.0' : `239.${next(2)}.${next(2)}.${next(2)}`,
          ...(range ? { groupPrefixLength: 16 } : {}),
          ...(next(4) === 0 ? { source: ip() } : {}),
        },
      );
    };
    const worker = await bed.worker([bed.rule('r', [bed.output()])]);
    const outcomes = { applied: 0, refused: 0, invalid: 0 };
    for (let round = 0; round < 150; round++) {
      const rules = Array.from({ length: next(6) }, (_, i) => randomRule(i));
      const ownMacs = Array.from({ length: next(3) }, () => pick([bed.mac.src, bed.mac.relayOut, '02:00:00:00:00:01']));
      const error = await worker.setRules(rules, { ownMacs }).catch((e: unknown) => e);
      if (error === undefined || error === null) outcomes.applied++;
      else if ((error as AgentCallError).detail.name === 'RangeError' && /repeats/.test((error as AgentCallError).detail.message)) {
        outcomes.invalid++; // two random rules for the same range: validation refuses them
      } else {
        expect((error as AgentCallError).detail, String(error)).toMatchObject({ isNativeError: true });
        outcomes.refused++;
      }
      if (round % 30 === 0) await bed.inject([udpFrame({ group: IN_GROUP, port: IN_PORT })]);
    }
    console.log(`setRules on hostile tables: ${outcomes.applied} applied, ${outcomes.refused} refused (NativeError), ${outcomes.invalid} invalid`);
    expect(outcomes.applied).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
    await worker.agent.call('worker.checkHealth', { id: 'w' });
    // A plain table afterwards still forwards.
    await worker.setRules([bed.rule('final', [bed.output()])]);
    const before = (await worker.counters()).forwarded;
    await bed.send(20);
    expect((await worker.waitFor((v) => v.forwarded >= before + 20)).forwarded).toBe(before + 20);
  });

  it('injectedWorkNanos (test-only) burns about that much CPU per frame without changing what is forwarded', async () => {
    const frames = 1000;
    const worker = await bed.worker([bed.rule('r', [bed.output()])], undefined, { injectedWorkNanos: 100_000 });
    const cpu = () => worker.agent.call<{ user: number; system: number }>('process.cpuUsage');
    const before = await cpu();
    await bed.inject(Array.from({ length: frames }, () => udpFrame({ group: IN_GROUP, port: IN_PORT })));
    const c = await worker.waitFor((v) => v.forwarded >= frames);
    expect(c).toMatchObject({ matched: frames, forwarded: frames });
    const after = await cpu();
    // 1000 frames x 100 us = 100 ms of spinning in the worker process (the plain path costs a few
    // us per frame); half of it at least, since a busy machine may deschedule the spinning thread.
    const usedMs = (after.user + after.system - before.user - before.system) / 1000;
    expect(usedMs).toBeGreaterThanOrEqual(50);
  });
});
