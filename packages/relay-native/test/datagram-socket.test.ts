// DatagramSocket on the relay's out0 of the lab's chain; the peer on the other end is the sink's own
// host stack, through an ordinary UDP socket (fixtures/udp-peer.py): what the sink sends the socket
// hears with the sender's address, port, TTL and MAC; what the socket sends the sink's kernel accepts
// only with right IP and UDP headers and checksums.
import { fileURLToPath } from 'node:url';

import { inNetns } from '@mcr/netns-lab';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { AddressFamily, Datagram } from '../src/index.js';
import type { NamespaceAgent } from './helpers/agent.js';
import { ChainBed } from './helpers/chain-bed.js';
import { linkInfo, linkLocal6, waitFor } from './helpers/lab.js';

const PEER = fileURLToPath(new URL('./fixtures/udp-peer.py', import.meta.url));
const GROUP = { ipv4: '224.0.0.251', ipv6: 'ff02::fb' } as const;
const PORT = 5353;
type Delivered = Omit<Datagram, 'payload'> & { payload: string };

describe('DatagramSocket (relay out0 <-> sink eth0, the sink host stack as the peer)', () => {
  const bed = new ChainBed();
  const relay = { ifindex: 0, mac: '', ip: '', linkLocal: '' };
  const sink = { ifindex: 0, mac: '', ip: '', linkLocal: '' };

  beforeAll(async () => {
    await bed.up();
    Object.assign(relay, await linkInfo(bed.ns.relay, bed.dev.relayOut), {
      ip: bed.lab.topo.relay.outputs[0]!.ip,
      linkLocal: await linkLocal6(bed.ns.relay, bed.dev.relayOut),
    });
    Object.assign(sink, await linkInfo(bed.ns.sink, bed.dev.sink), { ip: bed.sinkAddress, linkLocal: await linkLocal6(bed.ns.sink, bed.dev.sink) });
  });
  afterEach(() => bed.cleanup());
  afterAll(() => bed.down());

  async function open(family: AddressFamily, agent: NamespaceAgent = bed.agent(), id = `d-${family}`, port = PORT) {
    await agent.call('datagram.new', { id, options: { ifindex: relay.ifindex, interfaceName: bed.dev.relayOut, family, group: GROUP[family], port } });
    return {
      packets: async () => (await agent.call<{ packets: Delivered[] }>('datagram.events', { id })).packets,
      counters: () => agent.call<Record<string, number>>('datagram.counters', { id }),
      send: (m: { source: string; sourcePort: number; hopLimit: number; payload: Buffer }) =>
        agent.call('datagram.send', { id, message: { ...m, payload: m.payload.toString('hex') } }),
      close: () => agent.call('datagram.close', { id }),
    };
  }

  const peerSend = async (family: AddressFamily, payload: Buffer, ttl: number, port = PORT) => {
    const { stdout } = await inNetns(bed.ns.sink, 'python3', [PEER, 'send', family, GROUP[family], String(port), bed.dev.sink, payload.toString('hex'), String(ttl)]);
    return (JSON.parse(stdout) as { sourcePort: number }).sourcePort;
  };

  for (const family of ['ipv4', 'ipv6'] as const) {
    it(`${family}: hears the sink's datagram to the group with its address, port, TTL and MAC, and not one to another port`, async () => {
      const socket = await open(family);
      await peerSend(family, Buffer.from('other port'), 255, PORT + 1);
      const sourcePort = await peerSend(family, Buffer.from('query one'), 255);
      const packets = await waitFor(socket.packets, (ps) => ps.length > 0);
      expect(packets).toEqual([
        {
          family,
          source: family === 'ipv4' ? sink.ip : sink.linkLocal,
          sourcePort,
          destination: GROUP[family],
          payload: Buffer.from('query one').toString('hex'),
          hopLimit: 255,
          sourceMac: sink.mac,
        },
      ]);
      await socket.close();
    });

    it(`${family}: sends with the source, port and hop limit given; the sink's UDP stack accepts it (checksums right); the socket does not hear itself`, async () => {
      const socket = await open(family);
      const peer = inNetns(bed.ns.sink, 'python3', [PEER, 'recv', family, GROUP[family], String(PORT), bed.dev.sink, '3']);
      await new Promise((resolve) => setTimeout(resolve, 700)); // the peer's socket joined
      // A source that is not the relay's: a reflector keeps the original sender's.
      const source = family === 'ipv4' ? '192.0.2.7' : 'fe80::1234';
      // Odd length: the checksum's padding byte is exercised.
      for (const hopLimit of [255, 1]) await socket.send({ source, sourcePort: 5353, hopLimit, payload: Buffer.from(`answer ${hopLimit}!`) });
      const lines = (await peer).stdout.trim().split('\n').slice(1).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).toEqual([
        { source, sourcePort: 5353, hopLimit: 255, payload: Buffer.from('answer 255!').toString('hex') },
        { source, sourcePort: 5353, hopLimit: 1, payload: Buffer.from('answer 1!').toString('hex') },
      ]);
      expect(await socket.packets()).toEqual([]);
      expect(await socket.counters()).toMatchObject({ received: 0, sent: 2, sendErrors: 0, droppedMalformed: 0 });
      await socket.close();
    });
  }

  it('refuses a group of the other family, a multicast source, a payload past the limit; close() leaves no descriptor or thread', async () => {
    const agent = bed.agent();
    await expect(agent.call('datagram.new', { id: 'x', options: { ifindex: relay.ifindex, interfaceName: bed.dev.relayOut, family: 'ipv4', group: 'ff02::fb', port: PORT } })).rejects.toThrow(/group: must be an IPv4 group/);
    await (await open('ipv4', agent, 'warm-up')).close();
    const before = await agent.call<{ fds: number; threads: number }>('process.resources');
    const v4 = await open('ipv4', agent, 'v4');
    const v6 = await open('ipv6', agent, 'v6');
    expect(await agent.call('process.resources')).toEqual({ fds: before.fds + 4, threads: before.threads + 2 });
    await expect(v4.send({ source: '224.0.0.1', sourcePort: 1, hopLimit: 1, payload: Buffer.alloc(1) })).rejects.toThrow(/source: must be a unicast address/);
    await expect(v4.send({ source: '10.0.0.1', sourcePort: 1, hopLimit: 1, payload: Buffer.alloc(1453) })).rejects.toThrow(/payload: must hold 0..1452 bytes/);
    await v4.close();
    await v6.close();
    expect(await agent.call('process.resources')).toEqual(before);
    await expect(v4.send({ source: '10.0.0.1', sourcePort: 1, hopLimit: 1, payload: Buffer.alloc(1) })).rejects.toThrow(/EBADF/);
  });
});
