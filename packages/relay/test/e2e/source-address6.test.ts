import { describe, expect, it } from 'vitest';
import { inNetns, runSender, type Lab } from '@mcr/netns-lab';
import { RelayProcess, sleep, sourceProbe, streamPlan, waitFor, useChainLab } from './harness.js';

// IPv6 copies leave from the output interface's global address, or from its fe80:: link-local one
// for a link-local scope group; the relay follows a change of the global address under traffic.

describe('IPv6 output source addresses', () => {
  let lab: Lab;
  useChainLab((l) => (lab = l));

  it('global scope from the global address, ff02:: from fe80::, and a new global address is followed', async () => {
    const [s] = streamPlan(1, 0, 'ipv6');
    const { relay: r, sinks, source } = lab.topo;
    const out = r.outputs[0]!;
    const sink = sinks[0]!;
    const linkLocal = /inet6 (fe80::[0-9a-f:]+)\//.exec((await inNetns(r.ns, 'ip', ['-6', 'addr', 'show', 'dev', out.ifname, 'scope', 'link'])).stdout)![1]!;
    const fresh = out.ip6.replace(/::\d+$/, '::200');
    const local = 'ff02::9:1';
    const rule = {
      id: 'v6',
      linkLocal: true,
      input: { interface: r.inputs[0]!.ifname, group: s!.group, port: s!.port },
      outputs: [
        { interface: out.ifname, group: s!.outGroup, port: s!.outPort, ttl: 8 },
        { interface: out.ifname, group: local, port: s!.outPort + 1, ttl: 8 },
      ],
    };
    const relay = await RelayProcess.start(r.ns, { rules: [rule] });
    const global = sourceProbe(sink, s!.outGroup, s!.outPort);
    const linkScope = sourceProbe(sink, local, s!.outPort + 1);
    try {
      await Promise.all([global.ready, linkScope.ready]);
      const count = 6000;
      const sending = runSender({ netns: source.ns, interface: source.ifname, streams: [{ group: s!.group, port: s!.port }], rate: 2000, count, ttl: 8 });
      await sleep(1000);
      await inNetns(r.ns, 'ip', ['-6', 'addr', 'add', `${fresh}/64`, 'dev', out.ifname, 'nodad']);
      await inNetns(r.ns, 'ip', ['-6', 'addr', 'del', out.address6, 'dev', out.ifname]);
      await waitFor('stats show the new address', async () => (await relay.result('stats')).interfaces.some((st: { name: string; ipv6: string }) => st.name === out.ifname && st.ipv6 === fresh), 2000);
      await sending;
      await sleep(300);
      const fromGlobal = await global.stop();
      const fromLinkScope = await linkScope.stop();
      console.info(`IPv6 sources: ${s!.outGroup} ${JSON.stringify(fromGlobal)}; ${local} ${JSON.stringify(fromLinkScope)}`);
      // Loss is the relay's to prove (its counters); the probe, a plain node socket that a busy
      // machine can overrun, proves the addresses: every copy came from one of the expected ones.
      const totals = (await relay.result('stats')).totals;
      expect({ forwarded: totals.forwarded, txErrors: totals.txErrors, outputAbsent: totals.outputAbsent }).toEqual({ forwarded: 2 * count, txErrors: 0, outputAbsent: 0 });
      expect(Object.keys(fromGlobal).sort()).toEqual([out.ip6, fresh].sort());
      expect(fromGlobal[out.ip6]!.count + fromGlobal[fresh]!.count).toBeGreaterThan(count * 0.9);
      expect(Object.keys(fromLinkScope)).toEqual([linkLocal]);
      expect(fromLinkScope[linkLocal]!.count).toBeGreaterThan(count * 0.9);
    } finally {
      await global.stop().catch(() => undefined);
      await linkScope.stop().catch(() => undefined);
      expect(await relay.stop()).toBe(0);
      await inNetns(r.ns, 'ip', ['-6', 'addr', 'add', out.address6, 'dev', out.ifname, 'nodad']).catch(() => undefined);
      await inNetns(r.ns, 'ip', ['-6', 'addr', 'del', `${fresh}/64`, 'dev', out.ifname]).catch(() => undefined);
    }
  });
});
