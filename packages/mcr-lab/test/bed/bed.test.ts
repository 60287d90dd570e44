// Test beds: the stream plan (pure), option validation, and trials through socat, the in-kernel
// reference, the direct wire and mcr on chain, fanout and converge. Correctness only
// (loss/dup/foreign), never timing; a relay that delivers nothing is an error, never a 0.
import { describe, expect, it } from 'vitest';
import { normaliseBedOptions, openBed, planRelayStreams, RelayDeliveredNothingError, type Bed } from '../../src/bed/index.js';
import { machineFindings, SENDER_DEFAULTS } from '@mcr/netns-lab';
import { expectBedsClosedAfterAll } from '../beds-closed.js';

expectBedsClosedAfterAll();

async function withBed<T>(bed: Bed, fn: (b: Bed) => Promise<T>): Promise<T> {
  try {
    return await fn(bed);
  } finally {
    await bed.close();
  }
}

describe('stream plan and options (pure)', () => {
  it('plans groups and ports per the contract', () => {
    const s = planRelayStreams(252, { relay: 'mcr' });
    expect(s[0]).toEqual({ group: '239.1.0.1', port: 5001, outGroup: '239.9.0.1', outPort: 6001 });
    expect(s[249]).toMatchObject({ group: '239.1.0.250', port: 5250, outGroup: '239.9.0.250', outPort: 6250 });
    expect(s[250]).toMatchObject({ group: '239.1.1.1', port: 5251, outGroup: '239.9.1.1', outPort: 6251 });
    expect(planRelayStreams(2, { relay: 'kernel' })[1]).toEqual({ group: '239.1.0.2', port: 5002, outGroup: '239.1.0.2', outPort: 5002 });
    expect(planRelayStreams(3, { relay: 'socat', socatSharedPort: true }).map((x) => x.port)).toEqual([5001, 5001, 5001]);
    expect(planRelayStreams(3, { relay: 'kernel', sources: 2 }).map((x) => x.input)).toEqual([0, 1, 0]);
    for (const relay of ['kernel-mfc', 'kernel-tc', 'direct'] as const) expect(planRelayStreams(1, { relay })[0]).toMatchObject({ outGroup: '239.1.0.1', outPort: 5001 });
    expect(planRelayStreams(1, { relay: 'socat-default' })[0]).toMatchObject({ outGroup: '239.9.0.1', outPort: 6001 });
  });

  it('plans IPv6 groups beside the IPv4 ones: ff3e::1:<n+1> -> ff3e::9:<n+1>, same ports', () => {
    const s = planRelayStreams(256, { relay: 'mcr', family: 'ipv6' });
    expect(s[0]).toEqual({ group: 'ff3e::1:1', port: 5001, outGroup: 'ff3e::9:1', outPort: 6001 });
    expect(s[254]).toMatchObject({ group: 'ff3e::1:ff', outGroup: 'ff3e::9:ff' });
    expect(s[255]).toMatchObject({ group: 'ff3e::1:100', port: 5256 });
    expect(planRelayStreams(2, { relay: 'kernel', family: 'ipv6' })[1]).toEqual({ group: 'ff3e::1:2', port: 5002, outGroup: 'ff3e::1:2', outPort: 5002 });
    // Canonical text (RFC 5952), as the relay prints groups.
    for (const x of planRelayStreams(1000, { relay: 'mcr', family: 'ipv6' })) expect(new URL(`http://[${x.group}]`).hostname).toBe(`[${x.group}]`);
    expect(planRelayStreams(2, { relay: 'mcr' })).toEqual(planRelayStreams(2, { relay: 'mcr', family: 'ipv4' }));
  });

  it('validates bed options, naming the option', () => {
    expect(normaliseBedOptions({ relay: 'mcr', streams: 1 })).toMatchObject({ topology: 'chain', workers: 1, fanoutMode: 'hash', igmpJoin: true });
    expect(() => normaliseBedOptions({ relay: 'nope' as 'mcr', streams: 1 })).toThrow(/"relay"/);
    expect(() => normaliseBedOptions({ relay: 'mcr', streams: 0 })).toThrow(/"streams"/);
    expect(() => normaliseBedOptions({ relay: 'socat', streams: 1, workers: 2 })).toThrow(/"workers" applies to relays mcr and mcr-tc only/);
    expect(() => normaliseBedOptions({ relay: 'kernel', streams: 1, mcrDataPlane: { coalesceMicros: 300 } })).toThrow(/"mcrDataPlane" applies to relays mcr and mcr-tc only/);
    expect(() => normaliseBedOptions({ relay: 'mcr', streams: 1, socatSharedPort: true })).toThrow(/socatSharedPort/);
    expect(() => normaliseBedOptions({ relay: 'mcr', streams: 1, outputs: 2 })).toThrow(/"outputs"/);
    expect(normaliseBedOptions({ relay: 'socat', streams: 1, topology: 'fanout' }).outputs).toBe(2);
  });

  it('sender mode: SENDER_DEFAULTS field by field, checked against the native limits', () => {
    expect(normaliseBedOptions({ relay: 'mcr', streams: 1 }).sender).toEqual(SENDER_DEFAULTS);
    expect(normaliseBedOptions({ relay: 'mcr', streams: 1, sender: { senders: 2 } }).sender).toEqual({ ...SENDER_DEFAULTS, senders: 2 });
    expect(normaliseBedOptions({ relay: 'mcr', streams: 1, sender: { raw: false } }).sender).toEqual({ ...SENDER_DEFAULTS, raw: false });
    expect(() => normaliseBedOptions({ relay: 'mcr', streams: 1, sender: { senders: 9 } })).toThrow(/"sender\.senders" must be an integer in 1\.\.8, received 9/);
    expect(() => normaliseBedOptions({ relay: 'mcr', streams: 1, sender: { raw: 1 as unknown as boolean } })).toThrow(/"sender\.raw" must be a boolean/);
    expect(() => normaliseBedOptions({ relay: 'mcr', streams: 1, sender: 'raw' as never })).toThrow(/"sender" must be an object/);
  });
});

describe('trials', () => {
  const trial = { rate: 4000, count: 500 };

  it('socat on chain: every packet once, exact counts, CPU measured', async () => {
    const r = await withBed(await openBed({ relay: 'socat', streams: 2 }), (b) => b.trial(trial));
    expect(r).toMatchObject({ relay: 'socat', streams: 2, size: 1000, sent: 1000, duplicates: 0, foreign: 0, corrupt: 0, offeredPps: 4000, sender: SENDER_DEFAULTS });
    expect(r.lossPct).toBeLessThanOrEqual(1);
    expect(r.perStream.map((s) => [s.stream, s.sink, s.group, s.sent])).toEqual([[0, 0, '239.9.0.1', 500], [1, 0, '239.9.0.2', 500]]);
    expect(r.relayCpuSeconds).not.toBeNull();
  });

  it('kernel on chain (no rewrite) is the reference for this kernel; trials repeat on one bed, duration mode', async () => {
    await withBed(await openBed({ relay: 'kernel', streams: 3 }), async (b) => {
      const runs = (await machineFindings()).multicastRouting.ipv4 ? 'kernel-mfc' : 'kernel-tc';
      expect(b.options.relay).toBe(runs);
      const a = await b.trial(trial);
      expect(a.relay).toBe(runs);
      expect(a).toMatchObject({ sent: 1500, unique: 1500, missing: 0, duplicates: 0, relayCpuSeconds: null, relayCpuPerPacketUs: null });
      // /proc/stat charges a CPU's state at each tick, and a tickless idle CPU gets no tick during a
      // short burst: 1500 packets in 0.4 s may be charged nothing. The second, busier trial must not.
      expect(a.machineCpuPerPacketUs).toBeGreaterThanOrEqual(0);
      const d = await b.trial({ rate: 20_000, durationSec: 1, size: 200 });
      expect(d.size).toBe(200);
      expect(d.sent).toBeGreaterThan(0);
      expect(d.duplicates).toBe(0);
      expect(d.missing).toBe(d.sent - d.unique);
      expect(d.machineCpuPerPacketUs).toBeGreaterThan(0);
    });
  });

  it('direct on fanout: the wire hands every stream to every sink, unchanged', async () => {
    const r = await withBed(await openBed({ relay: 'direct', topology: 'fanout', outputs: 2, streams: 2 }), (b) => b.trial(trial));
    expect(r).toMatchObject({ relay: 'direct', sent: 1000, unique: 2000, duplicates: 0, foreign: 0, relayCpuSeconds: null });
  });

  it('a relay that delivers nothing fails the trial with a message, never a 0 (and may be allowed to)', async () => {
    await withBed(await openBed({ relay: 'socat', streams: 2 }), async (b) => {
      await b.relay.stop(); // socat gone: the path delivers nothing
      const failed = b.trial(trial);
      await expect(failed).rejects.toBeInstanceOf(RelayDeliveredNothingError);
      await expect(failed).rejects.toThrow('socat delivered nothing of 1000 packets sent (after priming): the relay is broken here, not slow');
      expect(await b.trial({ ...trial, expectDelivery: false })).toMatchObject({ sent: 1000, unique: 0, lossPct: 100 });
    });
  });

  it('the sender mode reaches mcr-send: two processes, and a UDP socket for a payload too big for a raw frame', async () => {
    await withBed(await openBed({ relay: 'socat', streams: 2, sender: { raw: true, senders: 2 } }), async (b) => {
      const r = await b.trial(trial);
      expect(r).toMatchObject({ sender: { raw: true, senders: 2 }, sent: 1000, duplicates: 0, foreign: 0, corrupt: 0 });
      expect(r.perStream.map((s) => s.sent)).toEqual([500, 500]);
      expect(r.lossPct).toBeLessThanOrEqual(1);
      // 1473 B + 28 B of IP and UDP headers exceed the links' 1500 B MTU: fragments, from a UDP socket.
      const big = await b.trial({ rate: 2000, count: 200, size: 1473 });
      expect(big).toMatchObject({ sender: { raw: false, senders: 2 }, sent: 400, duplicates: 0, corrupt: 0 });
      expect(big.lossPct).toBeLessThanOrEqual(1);
    });
  });

  it('fanout: one receiver per sink, every sink gets every stream', async () => {
    const r = await withBed(await openBed({ relay: 'socat', topology: 'fanout', outputs: 2, streams: 2 }), (b) => b.trial(trial));
    expect(r.perStream.map((s) => `${s.stream}/${s.sink}`)).toEqual(['0/0', '0/1', '1/0', '1/1']);
    expect(r.sent).toBe(1000);
    expect(r.duplicates + r.foreign).toBe(0);
    expect(r.lossPct).toBeLessThanOrEqual(1);
  });

  it('converge: several senders, stream ids stay global', async () => {
    const r = await withBed(await openBed({ relay: 'kernel', topology: 'converge', sources: 2, streams: 3 }), (b) => b.trial(trial));
    expect(r.sent).toBe(1500);
    expect(r.perStream.map((s) => s.stream)).toEqual([0, 1, 2]);
    expect(r).toMatchObject({ unique: 1500, duplicates: 0, foreign: 0 });
  });

  it('the socat-shared-port control shows cross-talk', async () => {
    const r = await withBed(await openBed({ relay: 'socat', socatSharedPort: true, streams: 2 }), (b) => b.trial(trial));
    expect(r.foreign).toBeGreaterThan(0);
  });

  it('mcr with 2 workers: no duplicates, stats through the control socket', async () => {
    await withBed(await openBed({ relay: 'mcr', streams: 4, workers: 2 }), async (b) => {
      const r = await b.trial(trial);
      expect(r).toMatchObject({ sent: 2000, duplicates: 0, foreign: 0 });
      expect(r.lossPct).toBeLessThanOrEqual(1);
      expect(r.relayCpuSeconds).not.toBeNull();
      const stats = await b.mcr!.stats();
      expect(stats.workers).toHaveLength(2);
      expect(stats.totals.forwarded).toBeGreaterThanOrEqual(2000);
    });
  });
});
