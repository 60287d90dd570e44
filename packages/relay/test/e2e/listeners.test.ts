import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runSender, type AddressFamily, type Lab } from '@mcr/netns-lab';
import { RelayProcess, sleep, sourceProbe, streamPlan, useChainLab, waitFor, type Stream } from './harness.js';
import { kernelGroups } from './kernel-memberships.js';

// Receiver-driven relaying through mcr on real namespaces: the sink's own kernel is the listener
// (a socket joined to the output group makes it report; closing it makes it leave), the relay's
// querier and listener table decide, and the data plane's gates follow. With join: "on-demand" the
// relay's input membership follows too. Timers are short so that a leave completes in well under a
// second: robustness 2 x lastMemberQueryInterval 0.2 s = 0.4 s.

const IGMP = { querier: 'auto', robustness: 2, queryInterval: 2, queryResponseInterval: 1, lastMemberQueryInterval: 0.2 };
/** A joined receiver's first packet: the report is sent at once, the gate follows in milliseconds. Loose for a loaded CI VM. */
const JOIN_BOUND_MS = 1500;
/** The last member query time (0.4 s) plus the gate's push to the workers, loose likewise. */
const LEAVE_BOUND_MS = 1500;

function rule(s: Stream, lab: Lab) {
  return {
    id: s.id,
    join: 'on-demand',
    input: { interface: lab.topo.relay.inputs[0]!.ifname, group: s.group, port: s.port },
    outputs: [{ interface: lab.topo.relay.outputs[0]!.ifname, group: s.outGroup, port: s.outPort, ttl: 8, forward: 'listeners' }],
  };
}

/** Sends the stream at 500 pps in the background for `seconds`. */
function background(lab: Lab, s: Stream, seconds: number) {
  return runSender({ netns: lab.topo.source.ns, interface: lab.topo.source.ifname, streams: [{ group: s.group, port: s.port }], rate: 500, count: 500 * seconds, size: 200, ttl: 8 });
}

const outputPackets = async (relay: RelayProcess) => (await relay.result('stats')).rules[0].outputs[0].packets as number;

describe.each(['ipv4', 'ipv6'] as const)('receiver-driven relaying (%s)', (family: AddressFamily) => {
  let lab: Lab;
  useChainLab((l) => (lab = l));

  async function run(opts: { ignoreLeaves?: boolean; olderVersion?: boolean }) {
    const [s] = streamPlan(1, 0, family) as [Stream];
    const ns = lab.topo.relay.ns;
    const input = lab.topo.relay.inputs[0]!.ifname;
    const sink = lab.topo.sinks[0]!;
    const forced = family === 'ipv4' ? `/proc/sys/net/ipv4/conf/${sink.ifname}/force_igmp_version` : `/proc/sys/net/ipv6/conf/${sink.ifname}/force_mld_version`;
    const setForced = (v: number) => execIn(sink.ns, `echo ${v} > ${forced}`);
    setForced(opts.olderVersion ? (family === 'ipv4' ? 2 : 1) : 0);
    const relay = await RelayProcess.start(ns, { igmp: IGMP, rules: [rule(s, lab)], ...(opts.ignoreLeaves ? { testOnly: { ignoreLeaves: true } } : {}) });
    const sending = background(lab, s, 5);
    try {
      await sleep(300);
      expect(await kernelGroups(ns, input, family)).toEqual([]); // nobody listens: nothing joined upstream
      expect(await outputPackets(relay)).toBe(0);
      const stats = await relay.result('stats');
      expect(stats.queriers).toEqual([expect.objectContaining({ interface: lab.topo.relay.outputs[0]!.ifname, family, state: 'querier' })]);

      const probe = sourceProbe(sink, s.outGroup, s.outPort);
      await probe.ready;
      const joinedAt = Date.now();
      const joinMs = await waitFor('first packet after the join', async () => (await outputPackets(relay)) > 0, JOIN_BOUND_MS);
      await sleep(300);
      const seen = await probe.stop(); // closing the socket leaves the group
      const leftAt = Date.now();
      const first = Object.values(seen)[0];
      expect(first?.count ?? 0).toBeGreaterThan(0);
      expect(first!.first - joinedAt).toBeLessThan(JOIN_BOUND_MS);
      expect(joinMs).toBeLessThan(JOIN_BOUND_MS);

      const during = await relay.result('stats');
      expect(during.rules[0].outputs[0].packets).toBeGreaterThan(0);
      // The relay's own view, as an operator reads it.
      const list = await relay.result('list');
      expect(list.rules[0].outputs[0].forward).toBe('listeners');
      return { relay, ns, input, leftAt, sending, s };
    } catch (err) {
      await sending.catch(() => undefined);
      await relay.stop();
      throw err;
    }
  }

  /** The relay's exit code once the background stream has ended. */
  async function finish(relay: RelayProcess, sending: Promise<unknown>): Promise<number | null> {
    await sending;
    return relay.stop();
  }

  it('a receiver that joins gets the stream within the join bound; after it leaves the segment goes quiet within the leave bound; on-demand joins follow', async () => {
    const { relay, ns, input, leftAt, sending, s } = await run({});
    try {
      await sleep(LEAVE_BOUND_MS - (Date.now() - leftAt));
      const a = await outputPackets(relay);
      await sleep(500);
      expect(await outputPackets(relay)).toBe(a); // quiet
      expect(await kernelGroups(ns, input, family)).toEqual([]); // and the upstream membership is gone
      const stats = await relay.result('stats');
      // The segment's other listeners stay (an IPv6 host reports its solicited-node groups too).
      expect(stats.listeners.filter((l: { group: string }) => l.group === s.outGroup)).toEqual([]);
      const others = new Set(stats.listeners.map((l: { group: string }) => l.group)).size;
      expect(stats.membershipEvents[0]).toMatchObject({ join: 1 + others, leave: 1, expire: 0 });
      expect(stats.rules[0].outputs[0].forwarding).toBe(false);
    } finally {
      expect(await finish(relay, sending)).toBe(0);
    }
  });

  it(`an older-version host (${family === 'ipv4' ? 'IGMPv2' : 'MLDv1'}) is understood: its report opens the stream, its leave closes it`, async () => {
    const { relay, leftAt, sending } = await run({ olderVersion: true });
    try {
      await sleep(LEAVE_BOUND_MS - (Date.now() - leftAt));
      const a = await outputPackets(relay);
      await sleep(500);
      expect(await outputPackets(relay)).toBe(a);
    } finally {
      expect(await finish(relay, sending)).toBe(0);
    }
  });

  it('negative control: with testOnly.ignoreLeaves the stream goes on past the leave bound', async () => {
    const { relay, leftAt, sending } = await run({ ignoreLeaves: true });
    try {
      await sleep(LEAVE_BOUND_MS - (Date.now() - leftAt));
      const a = await outputPackets(relay);
      await sleep(500);
      expect(await outputPackets(relay)).toBeGreaterThan(a);
    } finally {
      expect(await finish(relay, sending)).toBe(0);
    }
  });
});

function execIn(ns: string, command: string): void {
  execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c', command]);
}
