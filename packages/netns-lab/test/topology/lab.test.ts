// Each topology comes up in real namespaces, passes multicast end to end (through the kernel relay,
// smcroute, in every relay namespace), and goes down leaving nothing behind.
import { afterAll, describe, expect, it } from 'vitest';
import { inNetns, listNamespaces, run } from '../../src/netns/index.js';
import { kernelReference } from '../kernel-reference.js';
import {
  PREFIX_FAMILY,
  chain,
  chain3,
  netemSupported,
  clean,
  converge,
  fanout,
  readEntry,
  uniquePrefix,
  up,
  type Lab,
  type Topology,
} from '../../src/topology/index.js';
import { prime, receive, send } from '../../src/traffic/lab-traffic.js';

const used: string[] = [];
function prefix(): string {
  const p = uniquePrefix();
  used.push(p);
  return p;
}
const ours = async (p: string) => (await listNamespaces()).filter((n) => n.startsWith(`${p}-`));

afterAll(async () => {
  for (const p of used) await clean(p); // backstop: a failed test still leaves nothing
});

/** Brings the lab up, runs `body`, always takes it down, and checks nothing is left. */
async function withLab(topo: Topology, body: (lab: Lab) => Promise<void>): Promise<void> {
  const lab = await up(topo);
  try {
    await body(lab);
  } finally {
    await lab.down();
  }
  expect(await ours(topo.prefix)).toEqual([]);
  expect(await readEntry(topo.prefix)).toBeUndefined();
}

const COUNT = 200;

describe('topologies, realised', () => {
  it('chain: namespaces, addresses, sysctls, routes; the in-kernel reference forwards end to end', async () => {
    const topo = chain({ prefix: prefix() });
    await withLab(topo, async (lab) => {
      expect((await ours(topo.prefix)).sort()).toEqual(topo.namespaces.map((n) => n.name).sort());
      expect((await readEntry(topo.prefix))?.kind).toBe('chain');
      // Nothing of ours in the root namespace.
      const root = await run('ip', ['-o', 'link', 'show']);
      expect(root.stdout).not.toMatch(/\b(in0|out0)@/);
      const route = await run('ip', ['-n', topo.source.ns, 'route', 'show', '224.0.0.0/4']);
      expect(route.stdout).toContain('dev eth0');
      const fwd = await inNetns(topo.relay.ns, 'sysctl', ['-n', 'net.ipv4.ip_forward', 'net.ipv4.conf.in0.rp_filter', 'net.ipv4.conf.all.rp_filter']);
      expect(fwd.stdout.split('\n')).toEqual(['1', '0', '0']);
      // Dual stack: the interfaces inherited IPv6 on and DAD off; the global address is usable at once.
      const v6 = await inNetns(topo.relay.ns, 'sysctl', ['-n', 'net.ipv6.conf.in0.disable_ipv6', 'net.ipv6.conf.in0.accept_dad', 'net.ipv6.conf.all.forwarding']);
      expect(v6.stdout.split('\n')).toEqual(['0', '0', '1']);
      const addrs = await run('ip', ['-n', topo.relay.ns, '-6', '-o', 'addr', 'show', 'dev', 'in0']);
      expect(addrs.stdout).toContain(`inet6 ${topo.relay.inputs[0]!.address6} scope global`);
      expect(addrs.stdout).toMatch(/inet6 fe80::\S+ scope link/);
      expect(addrs.stdout).not.toMatch(/tentative/);

      const streams = [{ group: '239.1.1.1', port: 5001 }];
      const relay = await kernelReference();
      await relay.start(lab, streams.map((s) => ({ ...s, outGroup: s.group, outPort: s.port })));
      try {
        await prime(topo.source, streams);
        const rx = await receive(topo.sinks[0]!, streams, COUNT);
        await send(topo.source, streams, COUNT);
        const [r] = (await rx.result).streams;
        expect(r).toMatchObject({ unique: COUNT, duplicates: 0, foreign: 0 });
        expect(await relay.cpuSeconds()).toBeNull();
      } finally {
        await relay.stop();
      }
    });
  });

  it('fanout: one stream reaches all K sinks', async () => {
    const topo = fanout({ prefix: prefix(), outputs: 3 });
    await withLab(topo, async (lab) => {
      const streams = [{ group: '239.1.2.1', port: 5002 }];
      const relay = await kernelReference();
      await relay.start(lab, streams.map((s) => ({ ...s, outGroup: s.group, outPort: s.port })));
      try {
        await prime(topo.source, streams);
        const rxs = await Promise.all(topo.sinks.map((s) => receive(s, streams, COUNT)));
        await send(topo.source, streams, COUNT);
        for (const rx of rxs) expect((await rx.result).streams[0]).toMatchObject({ unique: COUNT, duplicates: 0 });
      } finally {
        await relay.stop();
      }
    });
  });

  it('chain3: three in-kernel references in series (TTL 8 survives three hops)', async () => {
    const topo = chain3({ prefix: prefix() });
    await withLab(topo, async (lab) => {
      const streams = [{ group: '239.1.3.1', port: 5003 }];
      const relays = await Promise.all(topo.relays.map(() => kernelReference()));
      try {
        for (const [i, r] of relays.entries()) await r.start(lab, streams.map((s) => ({ ...s, outGroup: s.group, outPort: s.port })), { relay: i });
        await prime(topo.source, streams);
        const rx = await receive(topo.sinks[0]!, streams, COUNT);
        await send(topo.source, streams, COUNT);
        expect((await rx.result).streams[0]).toMatchObject({ unique: COUNT, duplicates: 0 });
      } finally {
        for (const r of relays) await r.stop();
      }
    });
  });

  it('converge: M sources on M relay inputs reach one sink', async () => {
    const topo = converge({ prefix: prefix(), sources: 2 });
    await withLab(topo, async (lab) => {
      const streams = [
        { group: '239.1.4.1', port: 5004, input: 0 },
        { group: '239.1.4.2', port: 5004, input: 1 },
      ];
      const relay = await kernelReference();
      await relay.start(lab, streams.map((s) => ({ ...s, outGroup: s.group, outPort: s.port })));
      try {
        // Each source sends its own stream; mcr-send numbers a sender's streams from 0, so both
        // carry stream id 0. One receiver per stream (each socket bound to its group, multicast_all
        // off): a packet of the other group landing on a socket would carry the same id and the
        // same sequence numbers, so it shows up there as a duplicate (not foreign) and fails the check.
        await Promise.all(streams.map((s, i) => prime(topo.sources[i]!, [s])));
        const rxs = await Promise.all(streams.map((s) => receive(topo.sinks[0]!, [s], COUNT)));
        await Promise.all(streams.map((s, i) => send(topo.sources[i]!, [s], COUNT)));
        for (const rx of rxs) expect((await rx.result).streams[0]).toMatchObject({ unique: COUNT, duplicates: 0, foreign: 0 });
      } finally {
        await relay.stop();
      }
    });
  });

  it('a rate limit alone is a tbf qdisc (works without netem)', async () => {
    const topo = chain({ prefix: prefix(), netem: { 'rly-snk': { rate: '100mbit' } } });
    await withLab(topo, async () => {
      const q = await run('tc', ['-n', topo.relay.ns, 'qdisc', 'show', 'dev', 'out0']);
      expect(q.stdout).toMatch(/tbf .*rate 100Mbit/);
    });
  });

  it('netem impairment is installed on the chosen end', async (ctx) => {
    if (!(await netemSupported())) ctx.skip('kernel has no netem qdisc (CONFIG_NET_SCH_NETEM unset on this machine)');
    const topo = chain({ prefix: prefix(), netem: { 'rly-snk': { lossPct: 1, delayMs: 2, jitterMs: 1, rate: '100mbit' } } });
    await withLab(topo, async () => {
      const q = await run('tc', ['-n', topo.relay.ns, 'qdisc', 'show', 'dev', 'out0']);
      expect(q.stdout).toMatch(/netem .*delay 2ms\s+1ms.*loss 1%.*rate 100Mbit/);
    });
  });

  it('a failure half-way tears down what was created, then rethrows', async () => {
    const topo = chain({ prefix: prefix(), netem: { 'rly-snk': { rate: 'not-a-rate' } } });
    await expect(up(topo)).rejects.toThrow(/tc -n .* tbf rate not-a-rate/);
    expect(await ours(topo.prefix)).toEqual([]);
    expect(await readEntry(topo.prefix)).toBeUndefined();
  });

  it('an abort signal during up tears down the partial lab', async () => {
    const topo = fanout({ prefix: prefix(), outputs: 4 });
    const ac = new AbortController();
    const p = up(topo, { signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toThrow(/interrupted/);
    expect(await ours(topo.prefix)).toEqual([]);
  });

  it('clean() removes a lab left behind on purpose, with its processes, and nothing else', async () => {
    const topo = chain({ prefix: prefix() });
    await up(topo); // no down(): left behind on purpose
    // A process left running inside (deleting a netns does not stop it): clean kills it by pid.
    const sleeper = inNetns(topo.relay.ns, 'sleep', ['300']).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));
    const other = `x${topo.prefix}-keep`; // not in our family: must survive
    await run('ip', ['netns', 'add', other]);
    try {
      const removed = await clean(topo.prefix);
      expect(removed.sort()).toEqual(topo.namespaces.map((n) => n.name).sort());
      expect(await ours(topo.prefix)).toEqual([]);
      expect(await listNamespaces()).toContain(other);
      await sleeper; // resolves only because clean() killed it
      expect(await readEntry(topo.prefix)).toBeUndefined();
    } finally {
      await run('ip', ['netns', 'delete', other]);
    }
    await expect(clean('notours')).rejects.toThrow(new RegExp(`must start with "${PREFIX_FAMILY}"`));
  });
});

it('up refuses a prefix in use and leaves the existing lab alone', async () => {
  const topo = chain({ prefix: prefix() });
  const lab = await up(topo);
  try {
    await expect(up(topo)).rejects.toThrow(/already exists/);
    expect((await ours(topo.prefix)).length).toBe(3);
    expect(await readEntry(topo.prefix)).toBeDefined();
  } finally {
    await lab.down();
  }
});
