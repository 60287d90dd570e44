// The builders are pure: same input, same data; no namespace appears; names and addresses follow the plan.
import { describe, expect, it } from 'vitest';
import { listNamespaces } from '../../src/netns/index.js';
import {
  BUILDERS,
  IFNAME_MAX,
  PREFIX_FAMILY,
  chain,
  chain3,
  converge,
  segment,
  ring,
  segments,
  SEGMENTS_LIMITS,
  SEGMENT_HOSTS,
  fanout,
  switchTopo,
  uniquePrefix,
  withNetem,
  type Topology,
} from '../../src/topology/index.js';

const prefix = 'mcrlunit';

function allIfnames(t: Topology): string[] {
  return [...t.links.flatMap((l) => [l.a.ifname, l.b.ifname]), ...t.bridges.map((b) => b.name)];
}

describe('topology builders', () => {
  const topos = [chain({ prefix }), switchTopo({ prefix }), fanout({ prefix, outputs: 12 }), chain3({ prefix }), converge({ prefix, sources: 12 }), segment({ prefix }), ring({ prefix })];

  it('are pure: no namespace is created and the same input gives equal data', async () => {
    const before = await listNamespaces();
    for (const [kind, b] of Object.entries(BUILDERS)) {
      expect(b({ prefix, outputs: 3, sources: 3 })).toEqual(b({ prefix, outputs: 3, sources: 3 }));
      expect(kind).toBe(b({ prefix }).kind);
    }
    expect(await listNamespaces()).toEqual(before);
  });

  it('keep every interface name within 15 characters and every namespace under the prefix', () => {
    for (const t of topos) {
      for (const n of allIfnames(t)) expect(n.length).toBeLessThanOrEqual(IFNAME_MAX);
      for (const ns of t.namespaces) expect(ns.name.startsWith(`${prefix}-`)).toBe(true);
      const names = t.namespaces.map((n) => n.name);
      expect(new Set(names).size).toBe(names.length);
    }
  });

  it('chain: names and the addressing plan', () => {
    const t = chain({ prefix });
    expect(t.namespaces.map((n) => [n.name, n.role])).toEqual([
      ['mcrlunit-src', 'source'],
      ['mcrlunit-rly', 'relay'],
      ['mcrlunit-snk', 'sink'],
    ]);
    expect(t.source).toEqual({ ns: 'mcrlunit-src', ifname: 'eth0', address: '10.1.0.1/24', ip: '10.1.0.1', address6: 'fd00:0:0:1::1/64', ip6: 'fd00:0:0:1::1' });
    expect(t.relay.inputs[0]).toMatchObject({ ifname: 'in0', ip: '10.1.0.2' });
    expect(t.relay.outputs[0]).toMatchObject({ ifname: 'out0', ip: '10.2.0.1' });
    expect(t.sinks[0]).toMatchObject({ ns: 'mcrlunit-snk', ifname: 'eth0', ip: '10.2.0.2' });
    const rly = t.namespaces.find((n) => n.role === 'relay')!;
    expect(rly.sysctls['net.ipv4.ip_forward']).toBe('1');
    expect(rly.sysctls['net.ipv4.conf.in0.rp_filter']).toBe('0');
    expect(rly.sysctls['net.ipv4.conf.all.rp_filter']).toBe('0');
    expect(t.namespaces.find((n) => n.role === 'source')!.mcastRoute).toBe('eth0');
    expect(t.namespaces.find((n) => n.role === 'sink')!.mcastRoute).toBe('eth0');
  });

  it('dual stack: every addressed end also has fd00:0:0:s::N/64 on the same segment and host, IPv6 on, no DAD', () => {
    for (const t of topos) {
      for (const link of t.links) {
        for (const end of [link.a, link.b]) {
          if (end.address === undefined) {
            expect(end.address6).toBeUndefined();
            continue;
          }
          const [, s, n] = /^10\.(\d+)\.0\.(\d+)\/24$/.exec(end.address)!;
          expect(end.address6).toBe(`fd00:0:0:${s}::${n}/64`);
        }
      }
      for (const e of [...t.sources, ...t.sinks, ...t.relays.flatMap((r) => [...r.inputs, ...r.outputs])]) {
        expect(e.ip6).toBe(e.address6.split('/')[0]);
        expect(e.ip6).toBe(`fd00:0:0:${e.ip.split('.')[1]}::${e.ip.split('.')[3]}`);
      }
      for (const ns of t.namespaces) {
        expect(ns.sysctls).toMatchObject({ 'net.ipv6.conf.default.disable_ipv6': '0', 'net.ipv6.conf.default.accept_dad': '0' });
        if (ns.role === 'relay') expect(ns.sysctls['net.ipv6.conf.all.forwarding']).toBe('1');
      }
    }
    const f = fanout({ prefix, outputs: 12 });
    expect(f.sinks[11]!.ip6).toBe('fd00:0:0:13::2'); // the digits of 10.13.0.2, read as hex: still canonical text
    expect(new URL(`http://[${f.sinks[11]!.ip6}]`).hostname).toBe(`[${f.sinks[11]!.ip6}]`);
  });

  it('switch: one L2 segment across the snooping bridge, flood off on the relay port', () => {
    const t = switchTopo({ prefix });
    expect(t.switch).toEqual({ ns: 'mcrlunit-sw', bridge: 'br0', sourcePort: 'p-src', relayPort: 'p-rly' });
    expect(t.bridges[0]).toMatchObject({ mcastSnooping: true, mcastQuerier: true, noFloodPorts: ['p-rly'] });
    expect(t.source.ip).toBe('10.1.0.1');
    expect(t.relay.inputs[0]!.ip).toBe('10.1.0.2');
    expect(t.links.filter((l) => l.a.ns === 'mcrlunit-sw' || l.b.ns === 'mcrlunit-sw').every((l) => [l.a, l.b].some((e) => e.address === undefined))).toBe(true);
  });

  it('fanout and converge: one subnet per branch', () => {
    const f = fanout({ prefix, outputs: 3 });
    expect(f.relay.outputs.map((o) => o.ifname)).toEqual(['out0', 'out1', 'out2']);
    expect(f.sinks.map((s) => [s.ns, s.ip])).toEqual([
      ['mcrlunit-snk0', '10.2.0.2'],
      ['mcrlunit-snk1', '10.3.0.2'],
      ['mcrlunit-snk2', '10.4.0.2'],
    ]);
    const c = converge({ prefix, sources: 3 });
    expect(c.sources.map((s) => [s.ns, s.ip])).toEqual([
      ['mcrlunit-src0', '10.1.0.1'],
      ['mcrlunit-src1', '10.2.0.1'],
      ['mcrlunit-src2', '10.3.0.1'],
    ]);
    expect(c.relay.inputs.map((i) => i.ifname)).toEqual(['in0', 'in1', 'in2']);
    expect(c.sinks[0]!.ip).toBe('10.4.0.2');
  });

  it('segment: the relay\'s input and output on one plain bridge with the source and the sink', () => {
    const t = segment({ prefix });
    expect([t.source.ip, t.relay.inputs[0]!.ip, t.relay.outputs[0]!.ip, t.sinks[0]!.ip]).toEqual(['10.1.0.1', '10.1.0.2', '10.1.0.3', '10.1.0.4']);
    expect(t.bridges).toEqual([
      { ns: 'mcrlunit-sw', name: 'br0', ports: ['p-src', 'p-in', 'p-out', 'p-snk'], mcastSnooping: false, mcastQuerier: false, noFloodPorts: [] },
    ]);
  });

  it('ring: two relays, each from one bridge to the other', () => {
    const t = ring({ prefix });
    expect(t.relays.map((r) => [r.ns, r.inputs[0]!.ip, r.outputs[0]!.ip])).toEqual([
      ['mcrlunit-rly0', '10.1.0.2', '10.2.0.1'],
      ['mcrlunit-rly1', '10.2.0.2', '10.1.0.3'],
    ]);
    expect(t.bridges.map((b) => [b.name, b.ports])).toEqual([
      ['br0', ['p-src', 'p-r0i', 'p-r1o']],
      ['br1', ['p-r0o', 'p-r1i', 'p-snk']],
    ]);
    expect([t.source.ip, t.sinks[0]!.ip]).toEqual(['10.1.0.1', '10.2.0.3']);
  });

  it('chain3: three relays in series', () => {
    const t = chain3({ prefix });
    expect(t.relays.map((r) => [r.ns, r.inputs[0]!.ip, r.outputs[0]!.ip])).toEqual([
      ['mcrlunit-rly0', '10.1.0.2', '10.2.0.1'],
      ['mcrlunit-rly1', '10.2.0.2', '10.3.0.1'],
      ['mcrlunit-rly2', '10.3.0.2', '10.4.0.1'],
    ]);
    expect(t.relay).toBe(t.relays[0]);
  });

  it('reject bad options with messages naming them', () => {
    expect(() => chain({ prefix: 'other' })).toThrow(/prefix must start with "mcrl"/);
    expect(() => fanout({ prefix, outputs: 0 })).toThrow(/option "outputs"/);
    expect(() => converge({ prefix, sources: 1.5 })).toThrow(/option "sources"/);
    expect(() => chain({ prefix, netem: { nope: { lossPct: 1 } } })).toThrow(/link "nope"/);
  });

  it('netem is data on the link; withNetem copies', () => {
    const t = chain({ prefix, netem: { 'rly-snk': { lossPct: 1, delayMs: 5, jitterMs: 1 } } });
    expect(t.links.find((l) => l.id === 'rly-snk')!.netem).toEqual({ lossPct: 1, delayMs: 5, jitterMs: 1 });
    const base = chain({ prefix });
    const impaired = withNetem(base, 'src-rly', { rate: '100mbit' });
    expect(base.links[0]!.netem).toBeUndefined();
    expect(impaired.links[0]!.netem).toEqual({ rate: '100mbit' });
  });

  it('uniquePrefix is in the family and distinct', () => {
    const a = uniquePrefix();
    expect(a.startsWith(PREFIX_FAMILY)).toBe(true);
    expect(a).not.toBe(uniquePrefix());
    expect(() => chain({ prefix: a })).not.toThrow();
  });
});

describe('segments: output segments with observers and receivers', () => {
  const topo = segments({ prefix: 'mcrltest', snooping: { 1: { querier: 'below-relay', mcastTimers: { mcast_query_interval: 200 } }, 2: { querier: 'above-relay', noFlood: true } } });

  it('puts the relay, the observer and the receivers on each segment by the address plan', () => {
    expect(topo.segments).toHaveLength(SEGMENTS_LIMITS.segments.default);
    const seg = topo.segments![1]!;
    expect(seg.relay).toMatchObject({ ns: 'mcrltest-rly', ifname: 'out1', ip: `10.3.0.${SEGMENT_HOSTS.relay}` });
    expect(seg.observer).toMatchObject({ ns: 'mcrltest-obs1', ip: `10.3.0.${SEGMENT_HOSTS.observer}` });
    expect(seg.receivers.map((r) => r.ns)).toEqual(['mcrltest-rcv1-0', 'mcrltest-rcv1-1', 'mcrltest-rcv1-2', 'mcrltest-rcv1-3']);
    expect(seg.querier).toEqual({ ip: '10.3.0.1', ip6: 'fd00:0:0:3::1' });
    expect(topo.links.find((l) => l.id === 'sw-1rly')!.b.linkLocal).toBe('fe80::2/64');
  });

  it('forces the receivers to alternating IGMP/MLD versions', () => {
    const sysctls = (ns: string) => topo.namespaces.find((n) => n.name === ns)!.sysctls;
    expect(sysctls('mcrltest-rcv0-0')).toMatchObject({ 'net.ipv4.conf.eth0.force_igmp_version': '2', 'net.ipv6.conf.eth0.force_mld_version': '1' });
    expect(sysctls('mcrltest-rcv0-1')).toMatchObject({ 'net.ipv4.conf.eth0.force_igmp_version': '3', 'net.ipv6.conf.eth0.force_mld_version': '2' });
  });

  it('snoops only where asked, with the querier below or above the relay and the router ports set', () => {
    const [b0, b1, b2] = topo.bridges;
    expect(b0).toMatchObject({ mcastSnooping: false, mcastQuerier: false, routerPorts: [] });
    expect(b1).toMatchObject({ mcastSnooping: true, mcastQuerier: true, address: '10.3.0.1/24', linkLocal: 'fe80::1/64', mcastIgmpVersion: 3, mcastMldVersion: 2, routerPorts: ['p1-rly', 'p1-obs'], mcastTimers: { mcast_query_interval: 200 } });
    expect(b2).toMatchObject({ address: '10.4.0.254/24', linkLocal: 'fe80::fe/64', noFloodPorts: ['p2-r0', 'p2-r1', 'p2-r2', 'p2-r3'], linkLocalFrom: ['p2-rly'] });
  });

  it('refuses a segment it does not have', () => {
    expect(() => segments({ prefix: 'mcrltest', segments: 2, snooping: { 2: { querier: 'none' } } })).toThrow(/option "snooping" names segment 2/);
    expect(() => segments({ prefix: 'mcrltest', receivers: 17 })).toThrow(/option "receivers" must be an integer 1..16, received 17/);
  });
});
