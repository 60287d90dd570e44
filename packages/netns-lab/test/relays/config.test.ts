// The baselines' pure parts: the exact socat command line, smcroute.conf, the tc and bridge batches.
import { describe, expect, it } from 'vitest';
import { directWireBatch, resolveStreams, smcrouteConf, socatArgs, socatIntData, SOCAT_BUFFER_BYTES, tcMirrorBatch } from '../../src/relays/index.js';
import { fanout } from '../../src/topology/index.js';

const topo = fanout({ prefix: 'mcrlunit', outputs: 2 });
const streams = resolveStreams(topo.relay, [
  { group: '239.1.1.1', port: 5001, outGroup: '239.9.9.1', outPort: 6001 },
  { group: '239.1.1.2', port: 5002, outGroup: '239.9.9.2', outPort: 6002, outputs: [1] },
]);

describe('baseline configs', () => {
  it('resolves streams to interfaces, all outputs by default', () => {
    expect(streams[0]!.inIfname).toBe('in0');
    expect(streams[0]!.outs).toEqual([
      { ifname: 'out0', ip: '10.2.0.1' },
      { ifname: 'out1', ip: '10.3.0.1' },
    ]);
    expect(streams[1]!.outs).toEqual([{ ifname: 'out1', ip: '10.3.0.1' }]);
    expect(() => resolveStreams(topo.relay, [{ group: '239.1.1.1', port: 1, outGroup: '239.1.1.1', outPort: 1, input: 3 }])).toThrow(/input must index/);
  });

  const defaults = { ttl: 8, bufferBytes: null };
  it('socat: quiet, bound to the group, or INADDR_ANY for the shared-port control', () => {
    expect(socatArgs(streams[0]!, streams[0]!.outs[0]!, defaults)).toEqual([
      '-b', '65536', '-u',
      'UDP4-RECV:5001,bind=239.1.1.1,ip-add-membership=239.1.1.1:in0,reuseaddr',
      'UDP4-SENDTO:239.9.9.1:6001,ip-multicast-if=10.2.0.1,ip-multicast-ttl=8',
    ]);
    expect(socatArgs(streams[0]!, streams[0]!.outs[0]!, { ...defaults, sharedPort: true })[3]).toBe('UDP4-RECV:5001,ip-add-membership=239.1.1.1:in0,reuseaddr');
  });

  it('socat tuned: SO_RCVBUFFORCE / SO_SNDBUFFORCE of mcr\'s ring size per input (8 MiB)', () => {
    expect(SOCAT_BUFFER_BYTES).toBe(8 * 1024 * 1024);
    expect(socatIntData(8 * 1024 * 1024)).toBe('x00008000'); // little-endian int, this machine
    expect(socatArgs(streams[0]!, streams[0]!.outs[0]!, { ttl: 8, bufferBytes: SOCAT_BUFFER_BYTES }).slice(3)).toEqual([
      'UDP4-RECV:5001,bind=239.1.1.1,ip-add-membership=239.1.1.1:in0,reuseaddr,setsockopt-listen=1:33:x00008000',
      'UDP4-SENDTO:239.9.9.1:6001,ip-multicast-if=10.2.0.1,ip-multicast-ttl=8,setsockopt-int=1:32:8388608',
    ]);
  });

  it('kernel-tc: one clsact per input, a u32 match per stream mirrored to each output; direct: one match-all wire', () => {
    const same = resolveStreams(topo.relay, [
      { group: '239.1.1.1', port: 5001, outGroup: '239.1.1.1', outPort: 5001 },
      { group: 'ff3e::1:2', port: 5002, outGroup: 'ff3e::1:2', outPort: 5002, outputs: [1] },
    ].slice(0, 1));
    expect(tcMirrorBatch(same)).toBe(
      'qdisc add dev in0 clsact\n' +
        'filter add dev in0 ingress pref 1 protocol ip u32 match ip dst 239.1.1.1/32 match ip dport 5001 0xffff action mirred egress mirror dev out0 action mirred egress mirror dev out1\n',
    );
    const v6 = resolveStreams(topo.relay, [{ group: 'ff3e::1:2', port: 5002, outGroup: 'ff3e::1:2', outPort: 5002, outputs: [1] }]);
    expect(tcMirrorBatch(v6)).toContain('filter add dev in0 ingress pref 1 protocol ipv6 u32 match ip6 dst ff3e::1:2/128 match ip6 dport 5002 0xffff action mirred egress mirror dev out1\n');
    expect(() => tcMirrorBatch(streams)).toThrow(/kernel \(tc\) cannot rewrite/);
    expect(directWireBatch(same)).toBe(
      'qdisc add dev in0 clsact\nfilter add dev in0 ingress pref 1 protocol all u32 match u32 0 0 action mirred egress mirror dev out0 action mirred egress redirect dev out1\n',
    );
    expect(() => directWireBatch(streams)).toThrow(/direct cannot rewrite/);
  });

  it('resolves IPv6 streams to the outputs\' fd00:: addresses; one family per relay, named when mixed', () => {
    const v6 = resolveStreams(topo.relay, [{ group: 'ff3e::1:1', port: 5001, outGroup: 'ff3e::9:1', outPort: 6001 }]);
    expect(v6[0]).toMatchObject({ family: 'ipv6', inIfname: 'in0', outs: [{ ifname: 'out0', ip: 'fd00:0:0:2::1' }, { ifname: 'out1', ip: 'fd00:0:0:3::1' }] });
    expect(streams[0]!.family).toBe('ipv4');
    expect(() => resolveStreams(topo.relay, [{ group: 'ff3e::1:1', port: 1, outGroup: '239.9.9.1', outPort: 1 }])).toThrow(/streams\[0\]\.outGroup must be an ipv6 address/);
    expect(() => resolveStreams(topo.relay, [{ group: '239.1.1.1', port: 1, outGroup: '239.1.1.1', outPort: 1 }], 'ipv6')).toThrow(/streams\[0\]\.group must be an ipv6 address \(option "family"\)/);
  });

  it('socat IPv6: UDP6-RECV bound to [group] with ipv6-join-group, UDP6-SENDTO out of the output interface with the hop limit', () => {
    const [s] = resolveStreams(topo.relay, [{ group: 'ff3e::1:1', port: 5001, outGroup: 'ff3e::9:1', outPort: 6001 }]);
    expect(socatArgs(s!, s!.outs[0]!, defaults)).toEqual([
      '-b', '65536', '-u',
      'UDP6-RECV:5001,bind=[ff3e::1:1],ipv6-join-group=[ff3e::1:1]:in0,reuseaddr',
      'UDP6-SENDTO:[ff3e::9:1]:6001,so-bindtodevice=out0,setsockopt-int=41:18:8',
    ]);
    expect(socatArgs(s!, s!.outs[0]!, { ...defaults, sharedPort: true })[3]).toBe('UDP6-RECV:5001,ipv6-join-group=[ff3e::1:1]:in0,reuseaddr');
    // The negative control behind a snooping bridge: no join.
    expect(socatArgs(s!, s!.outs[0]!, { ...defaults, join: false })[3]).toBe('UDP6-RECV:5001,bind=[ff3e::1:1],reuseaddr');
    expect(socatArgs(streams[0]!, streams[0]!.outs[0]!, { ...defaults, join: false })[3]).toBe('UDP4-RECV:5001,bind=239.1.1.1,reuseaddr');
  });

  it('smcroute IPv6: the same mroute syntax; mgroup lines when the relay must join (behind a snooping bridge)', () => {
    const v6 = resolveStreams(topo.relay, [
      { group: 'ff3e::1:1', port: 5001, outGroup: 'ff3e::1:1', outPort: 5001 },
      { group: 'ff3e::1:2', port: 5002, outGroup: 'ff3e::1:2', outPort: 5002, outputs: [0] },
    ]);
    expect(smcrouteConf(v6, { join: true })).toBe(
      'phyint in0 enable\nphyint out0 enable\nphyint out1 enable\nmgroup from in0 group ff3e::1:1\nmgroup from in0 group ff3e::1:2\n' +
        'mroute from in0 group ff3e::1:1 to out0 out1\nmroute from in0 group ff3e::1:2 to out0\n',
    );
  });

  it('smcroute: phyint lines and one mroute per group; refuses rewrites', () => {
    const same = resolveStreams(topo.relay, [
      { group: '239.1.1.1', port: 5001, outGroup: '239.1.1.1', outPort: 5001 },
      { group: '239.1.1.1', port: 5002, outGroup: '239.1.1.1', outPort: 5002 },
    ]);
    expect(smcrouteConf(same)).toBe('phyint in0 enable\nphyint out0 enable\nphyint out1 enable\nmroute from in0 group 239.1.1.1 to out0 out1\n');
    expect(() => smcrouteConf(streams)).toThrow(/cannot rewrite/);
  });

});
