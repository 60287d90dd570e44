// mcr-send / mcr-recv in IPv6 across the lab chain's first link (src eth0 fd00:0:0:1::1 -> rly in0
// fd00:0:0:1::2): groups in brackets, delivery complete and unique, receivers sharing a port see only
// their own group (IPV6_MULTICAST_ALL off), and a source-specific join (MLDv2 INCLUDE) receives
// from the named sender only: in both families, so the filter is proven to be able to fail.
// Raw frames (--raw) and several processes (--senders) deliver the same payloads exactly once;
// IPv6 UDP requires a valid checksum (RFC 8200), so a raw frame that arrives carries one.
import { describe, expect, it } from 'vitest';
import { runSender, startReceiver, type SenderOptions, type StreamTarget } from '../../src/traffic/index.js';
import { useLabPair } from './lab-pair.js';

const streams: StreamTarget[] = [
  { group: 'ff3e::201:1', port: 5401 },
  { group: 'ff3e::201:2', port: 5401 },
  { group: 'ff3e::201:3', port: 5402 },
];

describe('IPv6: mcr-send -> mcr-recv across the lab chain (src -> rly in0)', () => {
  const lab = useLabPair();
  const recvAt = (extra: { streams: StreamTarget[]; source?: string; expect?: number }) =>
    startReceiver({ netns: lab().receiver.ns, interface: lab().receiver.ifname, idleMs: 500, durationSec: 30, ...extra });
  const send = (s: StreamTarget[], count: number, mode: Partial<SenderOptions> = {}) =>
    runSender({ netns: lab().sender.ns, interface: lab().sender.ifname, streams: s, rate: 10_000, count, ttl: 8, ...mode });

  it('delivers 3 IPv6 streams x 500 packets complete, unique, in order, no cross-talk', async () => {
    const receiver = await recvAt({ streams, expect: 500 });
    try {
      expect(await send(streams, 500)).toMatchObject({ sent: 1500, perStream: [500, 500, 500], errors: 0 });
      const report = await receiver.result;
      report.streams.forEach((s, i) => {
        expect(s).toMatchObject({ stream: i, group: streams[i]!.group, port: streams[i]!.port, received: 500, unique: 500, duplicates: 0, missing: 0, reordered: 0, corrupt: 0, foreign: 0 });
        expect(s.latencyUs.p50).toBeGreaterThanOrEqual(0);
      });
    } finally {
      await receiver.stop();
    }
  });

  it.each<Partial<SenderOptions>>([{ raw: true }, { senders: 2 }, { raw: true, senders: 2 }])(
    '%j delivers 3 IPv6 streams x 500 packets exactly once, valid, no cross-talk',
    async (mode) => {
      const receiver = await recvAt({ streams, expect: 500 });
      try {
        expect(await send(streams, 500, mode)).toMatchObject({ sent: 1500, perStream: [500, 500, 500] });
        const report = await receiver.result;
        report.streams.forEach((s, i) => {
          expect(s).toMatchObject({ stream: i, group: streams[i]!.group, received: 500, unique: 500, duplicates: 0, missing: 0, corrupt: 0, foreign: 0 });
        });
      } finally {
        await receiver.stop();
      }
    },
  );

  it('--raw --corrupt over IPv6: the flipped payloads still pass the UDP checksum and reach mcr-recv as corrupt', async () => {
    const s = [streams[0]!];
    const receiver = await recvAt({ streams: s, expect: 20 });
    try {
      await runSender({ netns: lab().sender.ns, interface: lab().sender.ifname, streams: s, count: 20, corrupt: [4, 9], size: 65, raw: true });
      const report = await receiver.result;
      expect(report.streams[0]).toMatchObject({ received: 20, unique: 18, corrupt: 2, missing: 2, duplicates: 0, foreign: 0 });
    } finally {
      await receiver.stop();
    }
  });

  it('the join is an MLD membership on the receiving interface, gone when the receiver stops', async () => {
    const receiver = await recvAt({ streams: [streams[0]!] });
    const mcast6 = async () => (await import('../../src/netns/index.js')).inNetns(lab().receiver.ns, 'cat', ['/proc/net/igmp6']);
    try {
      // /proc/net/igmp6: "ifindex ifname group(32 hex) users flags timer"
      expect((await mcast6()).stdout).toMatch(/\bin0\s+ff3e0000000000000000000002010001\b/);
    } finally {
      await receiver.stop();
    }
    expect((await mcast6()).stdout).not.toMatch(/ff3e0000000000000000000002010001/);
  });

  it('two receivers on one port, different IPv6 groups: each counts only its own', async () => {
    const [g1, g2] = [streams[0]!, streams[1]!];
    const r1 = await recvAt({ streams: [g1] });
    const r2 = await recvAt({ streams: [g2] });
    try {
      await send([g1], 300);
      await send([g2], 200);
      const [a, b] = await Promise.all([r1.result, r2.result]);
      expect(a.streams[0]).toMatchObject({ group: g1.group, received: 300, unique: 300, duplicates: 0, foreign: 0 });
      expect(b.streams[0]).toMatchObject({ group: g2.group, received: 200, unique: 200, duplicates: 0, foreign: 0 });
    } finally {
      await Promise.all([r1.stop(), r2.stop()]);
    }
  });

  // With --raw the source address is the one mcr-send reads off the interface (IPv6: the global
  // one, not the link-local): the named-source receiver proves it is the right one.
  it.each([
    ['ipv6', 'ff3e::201:7', (e: { ip6: string }) => e.ip6, 'fd00:0:0:1::99', false],
    ['ipv4', '239.201.7.1', (e: { ip: string }) => e.ip, '10.1.0.99', false],
    ['ipv6 --raw', 'ff3e::201:7', (e: { ip6: string }) => e.ip6, 'fd00:0:0:1::99', true],
    ['ipv4 --raw', '239.201.7.1', (e: { ip: string }) => e.ip, '10.1.0.99', true],
  ] as const)('%s source-specific join: the named sender arrives, another source is filtered out', async (_family, group, ipOf, stranger, raw) => {
    const s = [{ group, port: 5407 }];
    const right = await recvAt({ streams: s, source: ipOf(lab().sender) });
    const wrong = await recvAt({ streams: s, source: stranger });
    try {
      await send(s, 200, { raw });
      const [a, b] = await Promise.all([right.result, wrong.stop()]);
      expect(a.streams[0]).toMatchObject({ received: 200, unique: 200 });
      expect(b.streams[0]).toMatchObject({ received: 0, unique: 0 });
    } finally {
      await Promise.all([right.stop(), wrong.stop()]);
    }
  });
});
