// A reflector in a running relay, on a real chain lab: it joins its group on each member (IGMP and
// MLD, as the kernel's /proc/net/igmp and igmp6 show), reflects what the source sends, and a member
// interface that goes and comes back with another ifindex is closed, reopened within the interface
// watcher's poll, joins again and reflects again; at stop every membership is left.
import { describe, expect, it } from 'vitest';
import { igmpMemberships, inNetns, relink, run, type Lab } from '@mcr/netns-lab';
import { RelayProcess, useChainLab, waitFor } from './harness.js';

const SSDP_GROUP = '239.255.255.250';
/** ff02::c as /proc/net/igmp6 prints it (the lab's mldMemberships leaves ff02:: groups out). */
const SSDP_GROUP6_HEX = 'ff02000000000000000000000000000c';

describe('reflectors', () => {
  let lab: Lab;
  useChainLab((l) => (lab = l));

  it('join their group on each member, and reopen a member that comes back with another ifindex', async () => {
    const rly = lab.topo.relay.ns;
    const members = [lab.topo.relay.inputs[0]!.ifname, lab.topo.relay.outputs[0]!.ifname];
    const input = members[0]!;
    const src = lab.topo.source;
    const relay = await RelayProcess.start(rly, { reflectors: [{ id: 'ssdp', protocol: 'ssdp', interfaces: members }] });
    const joined = async () => {
      const v4 = await igmpMemberships(rly);
      const { stdout } = await inNetns(rly, 'cat', ['/proc/net/igmp6']);
      return members.map((m) => [(v4.get(m) ?? []).includes(SSDP_GROUP), new RegExp(`\\s${m}\\s+${SSDP_GROUP6_HEX}\\s`).test(stdout)]);
    };
    type Row = { members: Array<{ interface: string; family: string; error: string | null }>; paths: Array<{ from: string; family: string; reflected: number }> };
    const row = async () => ((await relay.result('stats')).reflectors as Row[])[0]!;
    const inputRow = async () => (await row()).members.find((m) => m.interface === input && m.family === 'ipv4')!;
    const reflected = async () => (await row()).paths.filter((p) => p.from === input && p.family === 'ipv4').reduce((n, p) => n + p.reflected, 0);
    // Each search unique: the loop cache would take a repeat within 1 s for a copy coming back.
    const search = (n: number) =>
      run('ip', ['netns', 'exec', src.ns, 'socat', '-u', 'STDIN', `UDP4-SENDTO:${SSDP_GROUP}:1900,ip-multicast-if=${src.ip},ip-multicast-ttl=2`], {
        input: `M-SEARCH * HTTP/1.1\r\nHOST: ${SSDP_GROUP}:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: urn:mcr-test:${n}\r\n\r\n`,
      });
    try {
      expect(await joined()).toEqual([[true, true], [true, true]]);
      await search(1);
      await waitFor('the search reflected', async () => (await reflected()) === 1);

      await run('ip', ['-n', rly, 'link', 'del', input]);
      await waitFor('the member closed', async () => /absent/.test((await inputRow()).error ?? ''));
      await relink(lab.topo, 'src-rly');
      const ms = await waitFor('the member reopened and joined', async () => (await inputRow()).error === null && (await joined())[0]![0] === true);
      console.info(`reflector member ${input} reopened and joined ${ms} ms after its interface came back`);
      await search(2);
      await waitFor('the search reflected again', async () => (await reflected()) === 2);
    } finally {
      expect(await relay.stop()).toBe(0);
    }
    expect(await joined()).toEqual([[false, false], [false, false]]);
  });
});
