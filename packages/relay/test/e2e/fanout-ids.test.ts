import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { converge, runSender, startReceiver, uniquePrefix, up, type Lab } from '@mcr/netns-lab';
import { RelayProcess, sleep, streamPlan, waitFor, type Stream } from './harness.js';

// A configured fanout.id with several input interfaces: a PACKET_FANOUT group is keyed by namespace and
// id, and all its members must bind the same device, so each input takes its own id from the block
// id, id+1, ... Two workers per input share that group: every packet arrives exactly once.

const BASE_ID = 4000;

describe('a configured fanout.id across input interfaces', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await up(converge({ prefix: uniquePrefix(), sources: 3 }));
  });
  afterAll(async () => {
    await lab?.down();
  });

  const rule = (s: Stream, input: number) => ({
    id: s.id,
    input: { interface: lab.topo.relay.inputs[input]!.ifname, group: s.group, port: s.port },
    outputs: [{ interface: lab.topo.relay.outputs[0]!.ifname, group: s.outGroup, port: s.outPort, ttl: 8 }],
  });

  /** Sends `count` packets of `s` from source `input` and counts them at the sink. */
  async function relays(s: Stream, input: number, count = 500) {
    const sink = lab.topo.sinks[0]!;
    const receiver = await startReceiver({ netns: sink.ns, interface: sink.ifname, streams: [{ group: s.outGroup, port: s.outPort }], expect: count });
    const src = lab.topo.sources[input]!;
    await runSender({ netns: src.ns, interface: src.ifname, streams: [{ group: s.group, port: s.port }], rate: 5000, count, ttl: 8 });
    await sleep(300);
    return (await receiver.stop()).totals;
  }

  const fanoutOf = async (relay: RelayProcess) =>
    Object.fromEntries(
      ((await relay.result('stats')).interfaces as Array<{ name: string; fanout: unknown }>).filter((i) => i.fanout !== null).map((i) => [i.name, i.fanout]),
    );

  it('gives each input its own group id from the configured one; mcr add on a new input takes the next free one', async () => {
    const [s0, s1, s2] = streamPlan(3);
    const relay = await RelayProcess.start(lab.topo.relay.ns, { workers: 2, fanout: { mode: 'hash', id: BASE_ID }, rules: [rule(s0!, 0), rule(s1!, 1)] });
    try {
      expect(await fanoutOf(relay)).toEqual({ in0: { id: BASE_ID, mode: 'hash' }, in1: { id: BASE_ID + 1, mode: 'hash' } });
      for (const [s, input] of [[s0!, 0], [s1!, 1]] as const) expect(await relays(s, input)).toMatchObject({ unique: 500, duplicates: 0 });

      await relay.result('add', { rule: rule(s2!, 2) });
      // interfaces[] lists an interface from the watcher's next reading (within a second).
      await waitFor('in2 in stats', async () => (await fanoutOf(relay)).in2 !== undefined, 3000);
      expect((await fanoutOf(relay)).in2).toEqual({ id: BASE_ID + 2, mode: 'hash' });
      expect(await relays(s2!, 2)).toMatchObject({ unique: 500, duplicates: 0 });

      // An input whose last rule goes leaves its id; the next new input takes the lowest free one.
      await relay.result('remove', { id: s1!.id });
      await relay.result('add', { rule: rule(s1!, 1) });
      await waitFor('in1 in stats', async () => (await fanoutOf(relay)).in1 !== undefined, 3000);
      expect(await fanoutOf(relay)).toEqual({
        in0: { id: BASE_ID, mode: 'hash' },
        in1: { id: BASE_ID + 1, mode: 'hash' },
        in2: { id: BASE_ID + 2, mode: 'hash' },
      });
      expect(await relays(s1!, 1)).toMatchObject({ unique: 500, duplicates: 0 });
      expect(relay.stderr).toMatch(/interface in1: PACKET_FANOUT group 4001 mode hash/);
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });
});
