// The switch topology's bridge is an IGMP-snooping switch: once snooping is ready, a group joined
// in the relay namespace arrives there and a group nobody joined does not.
import { afterAll, expect, it } from 'vitest';
import { listNamespaces, run } from '../../src/netns/index.js';
import { awaitSnooping, clean, switchTopo, uniquePrefix, up } from '../../src/topology/index.js';
import { receive, send } from '../lab-traffic.js';

const prefix = uniquePrefix();
afterAll(async () => {
  await clean(prefix);
});

it('switch: after awaitSnooping, a joined group passes the bridge and an unjoined one does not', async () => {
  const topo = switchTopo({ prefix });
  const lab = await up(topo);
  try {
    const br = await run('ip', ['-n', topo.switch!.ns, '-d', 'link', 'show', 'br0']);
    expect(br.stdout).toMatch(/mcast_snooping 1/);
    expect(br.stdout).toMatch(/mcast_querier 1/);
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
