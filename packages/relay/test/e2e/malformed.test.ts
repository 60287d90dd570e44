import { describe, expect, it } from 'vitest';
import { injectFrames, ipOffset, malformedFrames, udpFrame, runSender, startReceiver, type Lab } from '@mcr/netns-lab';
import { RelayProcess, ruleFor, streamPlan, useChainLab } from './harness.js';

describe('malformed frames', () => {
  let lab: Lab;
  useChainLab((l) => (lab = l));

  it('are counted and dropped while valid traffic keeps flowing', async () => {
    const [s] = streamPlan(1);
    const relay = await RelayProcess.start(lab.topo.relay.ns, { rules: [ruleFor(s!, lab)] });
    const sink = lab.topo.sinks[0]!;
    const receiver = await startReceiver({ netns: sink.ns, interface: sink.ifname, streams: [{ group: s!.outGroup, port: s!.outPort }], expect: 5000 });
    try {
      const sending = runSender({ netns: lab.topo.source.ns, interface: lab.topo.source.ifname, streams: [{ group: s!.group, port: s!.port }], rate: 5000, count: 5000, ttl: 8 });
      // Frames aimed at the rule's own group and port, so only the parser stands between them and egress.
      const bad = malformedFrames({ group: s!.group, port: s!.port, source: lab.topo.source.ip });
      // A sound frame to the rule but for its IPv4 header checksum: checked by whichever engine has the rule.
      const badChecksum = Buffer.from(udpFrame({ group: s!.group, port: s!.port, source: lab.topo.source.ip }));
      badChecksum.writeUInt16BE(badChecksum.readUInt16BE(ipOffset(badChecksum) + 10) ^ 0x5a5a, ipOffset(badChecksum) + 10);
      const rounds = 20;
      for (let i = 0; i < rounds; i++) await injectFrames(lab.topo.source.ns, lab.topo.source.ifname, [...Object.values(bad), badChecksum]);
      await sending;
      await new Promise((r) => setTimeout(r, 300));
      const got = await receiver.stop();
      expect(got.totals).toMatchObject({ unique: 5000, missing: 0, duplicates: 0, corrupt: 0 });
      const t = (await relay.result('stats')).totals;
      // The kernel-side filter lets only unfragmented IPv4 UDP to the table's (group, port) reach the
      // ring: of the bad frames only udp-length-past-frame (a sound IPv4 header to the rule's group and
      // port) gets to the parser, which counts it malformed. truncated-ip, bad-ihl, ihl-past-frame,
      // both fragments and the ICMP frame never reach userspace, so they are counted nowhere.
      expect(t.malformed).toBe(rounds);
      expect(t.badChecksum).toBe(rounds);
      expect(t.fragments).toBe(0);
      expect(t.forwarded).toBe(5000);
      expect(t.matched).toBe(5000);
    } finally {
      await receiver.stop().catch(() => undefined);
      expect(await relay.stop()).toBe(0);
    }
  });
});
