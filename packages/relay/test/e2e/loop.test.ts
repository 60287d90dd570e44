import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, runSender, startReceiver, switchTopo, uniquePrefix, up, type Lab } from '@mcr/netns-lab';
import { RelayProcess, sleep } from './harness.js';

// The one-segment loop: the relay's input and output sit on one bridge, and a rule relays
// a group back onto the segment it came from. Without the loop guard one datagram was forwarded
// thousands of times a second; with it, the copy that comes back carries the relay's own source MAC
// and is not relayed again, and a TTL-1 datagram is not relayed at all.

const GROUP = '239.77.0.1';
const PORT = 7000;

describe('the one-segment loop dies', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await up(switchTopo({ prefix: uniquePrefix() }));
    const sw = lab.topo.switch!.ns;
    const rly = lab.topo.relay.ns;
    // A plain flooding bridge (snooping would hide the loop behind the relay port's joins), a second
    // relay port loop0 on it, and an address on the bridge itself to count what crosses the segment.
    await run('ip', ['-n', sw, 'link', 'set', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
    await run('bridge', ['-n', sw, 'link', 'set', 'dev', 'p-rly', 'mcast_flood', 'on']);
    await run('ip', ['-n', sw, 'link', 'add', 'p-out', 'type', 'veth', 'peer', 'name', 'loop0', 'netns', rly]);
    await run('ip', ['-n', sw, 'link', 'set', 'p-out', 'master', 'br0']);
    await run('ip', ['-n', sw, 'link', 'set', 'p-out', 'up']);
    await run('ip', ['-n', rly, 'addr', 'add', '10.1.0.3/24', 'dev', 'loop0']);
    await run('ip', ['-n', rly, 'link', 'set', 'loop0', 'up']);
    await run('ip', ['-n', sw, 'addr', 'add', '10.1.0.9/24', 'dev', 'br0']);
    await run('ip', ['netns', 'exec', sw, 'sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.br0.rp_filter=0']);
  });
  afterAll(async () => {
    await lab?.down();
  });

  /** One datagram with `ttl` into the loop; what the bridge carried on the group, and the relay's stats. */
  async function oneDatagram(ttl: number, testOnly?: Record<string, unknown>) {
    const rule = { id: 'loop', input: { interface: 'in0', group: GROUP, port: PORT }, outputs: [{ interface: 'loop0', group: GROUP, port: PORT }] };
    const relay = await RelayProcess.start(lab.topo.relay.ns, { rules: [rule], ...(testOnly ? { testOnly } : {}) });
    try {
      const receiver = await startReceiver({ netns: lab.topo.switch!.ns, interface: 'br0', streams: [{ group: GROUP, port: PORT }], durationSec: 5 });
      await runSender({ netns: lab.topo.source.ns, interface: lab.topo.source.ifname, streams: [{ group: GROUP, port: PORT }], count: 1, ttl });
      await sleep(1000); // a loop would have gone round thousands of times by now
      const seen = await receiver.stop();
      const stats = await relay.result('stats');
      return { seen: seen.totals, stats, stderr: relay.stderr };
    } finally {
      expect(await relay.stop()).toBe(0);
      await sleep(200); // let a storm (the negative control) drain off the bridge before the next case
    }
  }

  it('a TTL-8 datagram is forwarded exactly once: the copy that comes back is recognised as our own', async () => {
    const { seen, stats } = await oneDatagram(8);
    // On the bridge: the sender's datagram and the relay's one copy.
    expect(seen).toMatchObject({ received: 2, unique: 1, duplicates: 1 });
    expect(stats.rules[0]).toMatchObject({ matched: 1 });
    expect(stats.rules[0].outputs[0].packets).toBe(1);
    expect(stats.totals.ownFrames).toBeGreaterThanOrEqual(1);
  });

  it('a TTL-1 datagram is not forwarded at all', async () => {
    const { seen, stats } = await oneDatagram(1);
    expect(seen.received).toBeLessThanOrEqual(2);
    expect(seen.received).toBe(1);
    expect(stats.totals).toMatchObject({ matched: 1, ttlExpired: 1, forwarded: 0 });
  });

  it('negative control: with testOnly.disableLoopGuard the same datagram storms', async () => {
    const { seen, stderr } = await oneDatagram(8, { disableLoopGuard: true });
    console.info(`loop guard off: one datagram crossed the bridge ${seen.received} times in 1 s`);
    expect(seen.received).toBeGreaterThan(10);
    expect(stderr).toMatch(/TEST-ONLY testOnly\.disableLoopGuard is ON/);
  });
});
