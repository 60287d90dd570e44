// The switch topology's bridge is an IGMP- and MLD-snooping switch: once snooping is ready, a group
// joined in the relay namespace arrives there and a group nobody joined does not, in both families.
import { afterAll, expect, it } from 'vitest';
import { listNamespaces, run } from '../../src/netns/index.js';
import { awaitSnooping, clean, switchTopo, uniquePrefix, up } from '../../src/topology/index.js';
import { receive, send } from '../../src/traffic/lab-traffic.js';

const prefix = uniquePrefix();
afterAll(async () => {
  await clean(prefix);
});

it('switch: after awaitSnooping, a joined group passes the bridge and an unjoined one does not (IPv4, then IPv6 in the same lab)', async () => {
  const topo = switchTopo({ prefix });
  const lab = await up(topo);
  try {
    const br = await run('ip', ['-n', topo.switch!.ns, '-d', 'link', 'show', 'br0']);
    expect(br.stdout).toMatch(/mcast_snooping 1/);
    expect(br.stdout).toMatch(/mcast_querier 1/);
    expect(br.stdout).toMatch(/mcast_mld_version 2/);
    const port = await run('bridge', ['-n', topo.switch!.ns, '-d', 'link', 'show', 'dev', 'p-rly']);
    expect(port.stdout).toMatch(/mcast_flood off/);

    const waited = await awaitSnooping(lab);
    console.log(`switch ${prefix}: snooping ready after ${waited} ms`);

    const joined = { group: '239.2.2.1', port: 5010 };
    const unjoined = { group: '239.2.2.2', port: 5010 };
    const COUNT = 200;
    // Only `joined` is joined behind the relay port. mcr-recv joins every group it is given, so a
    // receiver cannot watch `unjoined` without joining it (and so letting it through the switch):
    // that group is checked on the relay input's receive counter instead: it must not grow by its packets.
    const rx = await receive(topo.relay.inputs[0]!, [joined], COUNT);
    const before = await rxPackets(topo.relay.ns, 'in0');
    const probe = await send(topo.source, [unjoined], COUNT);
    expect(probe.perStream).toEqual([COUNT]); // the probe did leave the source
    const afterUnjoined = await rxPackets(topo.relay.ns, 'in0');
    await send(topo.source, [joined], COUNT);
    const [r] = (await rx.result).streams;
    expect(r).toMatchObject({ unique: COUNT, duplicates: 0, foreign: 0 });
    // IGMP queries from the bridge may arrive meanwhile: allow a handful of frames, not 200.
    expect(afterUnjoined - before).toBeLessThan(10);

    // The MLD twin. The querier was enabled after the bridge had its link-local address (up()),
    // so MLD snooping works: without that, no IPv6 group would ever pass (field notes).
    const waited6 = await awaitSnooping(lab, { family: 'ipv6' });
    console.log(`switch ${prefix}: MLD snooping ready after ${waited6} ms more`);
    const joined6 = { group: 'ff3e::2:1', port: 5011 };
    const unjoined6 = { group: 'ff3e::2:2', port: 5011 };
    const rx6 = await receive(topo.relay.inputs[0]!, [joined6], COUNT);
    const before6 = await rxPackets(topo.relay.ns, 'in0');
    expect((await send(topo.source, [unjoined6], COUNT)).perStream).toEqual([COUNT]);
    const afterUnjoined6 = await rxPackets(topo.relay.ns, 'in0');
    await send(topo.source, [joined6], COUNT);
    expect((await rx6.result).streams[0]).toMatchObject({ unique: COUNT, duplicates: 0, foreign: 0 });
    expect(afterUnjoined6 - before6).toBeLessThan(10);
  } finally {
    await lab.down();
  }
  expect((await listNamespaces()).filter((n) => n.startsWith(`${prefix}-`))).toEqual([]);
});

async function rxPackets(ns: string, ifname: string): Promise<number> {
  const { stdout } = await run('ip', ['-n', ns, '-json', '-s', 'link', 'show', 'dev', ifname]);
  const [link] = JSON.parse(stdout) as { stats64: { rx: { packets: number } } }[];
  return link!.stats64.rx.packets;
}
