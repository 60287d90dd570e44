import { describe, expect, it } from 'vitest';
import { igmpMemberships, relink, run, type Lab } from '@mcr/netns-lab';
import { pushTraffic, RelayProcess, ruleFor, streamPlan, waitFor, useChainLab } from './harness.js';

// A re-join (the input interface came back with a new ifindex) that the kernel refuses part-way must
// leave the relay's bookkeeping equal to the kernel's: the groups it could not join are shown as not
// joined, retried, and joined once the kernel allows it. The refusal here is the kernel's own: the
// namespace's igmp_max_memberships lowered below the groups one membership socket holds.

describe('IGMP re-join that fails part-way', () => {
  let lab: Lab;
  useChainLab((l) => (lab = l));

  it('records the groups it could not join, shows them in stats, retries them, and matches the kernel throughout', async () => {
    const rly = lab.topo.relay.ns;
    const input = lab.topo.relay.inputs[0]!.ifname;
    const streams = streamPlan(4);
    const sysctl = (n: number) => run('ip', ['netns', 'exec', rly, 'sysctl', '-q', '-w', `net.ipv4.igmp_max_memberships=${n}`]);
    const relay = await RelayProcess.start(rly, { rules: streams.map((s) => ruleFor(s, lab)) });
    const kernel = async () => ((await igmpMemberships(rly)).get(input) ?? []).slice().sort();
    const joinedPerStats = async () => {
      const ms: Array<{ group: string; joined: boolean; error?: string }> = (await relay.result('stats')).igmp.memberships;
      return { joined: ms.filter((m) => m.joined).map((m) => m.group).sort(), unjoined: ms.filter((m) => !m.joined) };
    };
    try {
      expect(await kernel()).toEqual(streams.map((s) => s.group).sort());
      await sysctl(2); // each membership socket may now hold 2 groups: the re-join's 3rd and 4th fail
      await run('ip', ['-n', rly, 'link', 'del', input]);
      await waitFor('gone reported', async () => (await relay.result('stats')).interfaceEvents.gone === 1);
      await relink(lab.topo, 'src-rly');
      await waitFor('back and re-joined part-way', async () => (await relay.result('stats')).interfaceEvents.back === 1 && (await joinedPerStats()).unjoined.length > 0);

      const partial = await joinedPerStats();
      console.info(`re-join with igmp_max_memberships=2: joined ${partial.joined.length}, not joined ${partial.unjoined.map((m) => `${m.group} (${m.error})`).join(', ')}`);
      expect(partial.joined).toHaveLength(2);
      expect(partial.unjoined).toHaveLength(2);
      for (const m of partial.unjoined) expect(m.error).toMatch(/ENOBUFS/);
      expect(await kernel()).toEqual(partial.joined); // the bookkeeping is the kernel's view

      // A rule whose group was never re-joined can go: nothing to leave, nothing breaks.
      const gone = streams.find((s) => s.group === partial.unjoined[0]!.group)!;
      await relay.result('remove', { id: gone.id });
      const kept = streams.filter((s) => s !== gone);
      expect((await joinedPerStats()).unjoined.map((m) => m.group)).toEqual([partial.unjoined[1]!.group]);
      expect(await kernel()).toEqual(partial.joined);

      // The kernel allows it again: the retry timer joins the rest.
      await sysctl(20);
      const retryMs = await waitFor('retried and joined', async () => (await joinedPerStats()).unjoined.length === 0, 5000);
      console.info(`after igmp_max_memberships=20: every group joined within ${retryMs} ms`);
      expect(await kernel()).toEqual(kept.map((s) => s.group).sort());
      expect((await pushTraffic(lab, kept, { rate: 5000, count: 300 })).received.totals).toMatchObject({ unique: 900, duplicates: 0 });
    } finally {
      await sysctl(20).catch(() => undefined);
      expect(await relay.stop()).toBe(0);
    }
    expect(await kernel()).toEqual([]);
  });
});
