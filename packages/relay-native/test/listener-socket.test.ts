// ListenerSocket on the relay's out0 of the lab's chain; the listener on the other end is the sink's
// own host stack. It joins and leaves groups through a socket (a MembershipSocket in an agent in the
// sink namespace) and the kernel reports, leaves and answers queries exactly as it would to any router:
// IGMPv3 / MLDv2 by default, IGMPv2 / MLDv1 when force_igmp_version / force_mld_version say so. Raw
// captures on both ends (fixtures/capture.py) show the frames as they were on the wire;
// crafted frames injected from the sink exercise the filter and the IP-level checks.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { inNetns, injectFrames } from '@mcr/netns-lab';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { AddressFamily, ListenerCounters, ListenerPacket } from '../src/index.js';
import { AgentCallError, NamespaceAgent, type AgentError } from './helpers/agent.js';
import { startListenerCapture } from './helpers/capture.js';
import { ChainBed } from './helpers/chain-bed.js';
import { linkInfo, linkLocal6, waitFor } from './helpers/lab.js';
import {
  icmpv6ChecksumOk,
  igmpChecksumOk,
  igmpGeneralQuery,
  igmpV2Report,
  ipv4Facts,
  ipv4Frame,
  ipv6Facts,
  ipv6Frame,
  mldGeneralQuery,
  mldV1Message,
  reportRecords,
  routerAlertHopByHop,
  type GroupRecord,
} from './helpers/listener-frames.js';
import { withTag } from './helpers/vlan-tag.js';

/** A packet as the agent reports it: the payload in hex. */
type Delivered = Omit<ListenerPacket, 'payload'> & { payload: string };
const payloadOf = (p: Delivered): Buffer => Buffer.from(p.payload, 'hex');

/** A ListenerSocket in an agent of the relay namespace, and what it delivered so far. */
class Listener {
  constructor(
    readonly agent: NamespaceAgent,
    readonly id: string,
  ) {}

  events(): Promise<{ packets: Delivered[]; errors: AgentError[] }> {
    return this.agent.call('listener.events', { id: this.id });
  }

  async packets(): Promise<Delivered[]> {
    return (await this.events()).packets;
  }

  counters(): Promise<ListenerCounters> {
    return this.agent.call('listener.counters', { id: this.id });
  }

  send(message: { source: string; destination: string; payload: Buffer }): Promise<unknown> {
    return this.agent.call('listener.send', { id: this.id, message: { ...message, payload: message.payload.toString('hex') } });
  }

  close(): Promise<unknown> {
    return this.agent.call('listener.close', { id: this.id });
  }

  /** The first packet after the first `since` that `match` accepts, waiting up to 10 s. */
  async next(what: string, match: (p: Delivered, payload: Buffer) => boolean, since = 0): Promise<Delivered> {
    const find = (packets: Delivered[]) => packets.slice(since).find((p) => match(p, payloadOf(p)));
    const packets = await waitFor(() => this.packets(), (ps) => find(ps) !== undefined);
    const found = find(packets);
    if (found === undefined) throw new Error(`no ${what} arrived; the socket delivered ${JSON.stringify(packets.slice(since))}`);
    return found;
  }
}

const hasRecord = (payload: Buffer, family: AddressFamily, record: Partial<GroupRecord>): boolean =>
  reportRecords(payload, family).some((r) => Object.entries(record).every(([k, v]) => r[k as keyof GroupRecord] === v));
const IGMPV3_REPORT = 0x22;
const MLDV2_REPORT = 143;
const [MODE_IS_EXCLUDE, CHANGE_TO_INCLUDE, CHANGE_TO_EXCLUDE] = [2, 3, 4];

describe('ListenerSocket (relay out0 <-> sink eth0, the sink host stack as the listener)', () => {
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

  async function openListener(family: AddressFamily, agent = bed.agent(), id = `l-${family}`): Promise<Listener> {
    await agent.call('listener.new', { id, options: { ifindex: relay.ifindex, interfaceName: bed.dev.relayOut, family } });
    return new Listener(agent, id);
  }

  /** The sink's kernel as a listener: groups joined and left through a MembershipSocket there. */
  async function openHost(): Promise<{ join(group: string): Promise<unknown>; leave(group: string): Promise<unknown> }> {
    const agent = new NamespaceAgent(bed.ns.sink);
    bed.onCleanup(() => agent.close());
    await agent.call('membership.new', { id: 'host' });
    const change = (op: string) => (group: string) => agent.call(op, { id: 'host', ifindex: sink.ifindex, group, iface: bed.dev.sink });
    return { join: change('membership.join'), leave: change('membership.leave') };
  }

  /** Sets the sink's force_igmp_version / force_mld_version for the test, and back to 0 after it. */
  async function forceVersion(family: AddressFamily, version: number): Promise<void> {
    const key = family === 'ipv4' ? `net.ipv4.conf.${bed.dev.sink}.force_igmp_version` : `net.ipv6.conf.${bed.dev.sink}.force_mld_version`;
    await inNetns(bed.ns.sink, 'sysctl', ['-qw', `${key}=${version}`]);
    bed.onCleanup(() => inNetns(bed.ns.sink, 'sysctl', ['-qw', `${key}=0`]));
  }

  /** Every delivered packet counts once in received, and so does every dropped one. */
  async function expectCountingRule(listener: Listener): Promise<ListenerCounters> {
    const [c, packets] = [await listener.counters(), await listener.packets()];
    expect(c.received - c.droppedMalformed - c.droppedBacklog).toBe(packets.length);
    return c;
  }

  it('IPv4: hears the host\'s IGMPv3 join and leave (state-change reports to 224.0.0.22): TTL 1, Router Alert, its MAC, the IGMP message to the byte', async () => {
    const listener = await openListener('ipv4');
    const host = await openHost();
    await host.join('239.5.0.1');
    const join = await listener.next('IGMPv3 report TO_EX(239.5.0.1)', (_, m) => m[0] === IGMPV3_REPORT && hasRecord(m, 'ipv4', { group: '239.5.0.1', type: CHANGE_TO_EXCLUDE }));
    expect(join).toMatchObject({ family: 'ipv4', source: sink.ip, destination: '224.0.0.22', hopLimit: 1, routerAlert: true, sourceMac: sink.mac });
    // The checksum covers exactly the message: a byte cut or a byte of padding more would break it.
    expect(igmpChecksumOk(payloadOf(join))).toBe(true);

    const mark = (await listener.packets()).length;
    await host.leave('239.5.0.1');
    const leave = await listener.next('IGMPv3 report TO_IN(239.5.0.1)', (_, m) => m[0] === IGMPV3_REPORT && hasRecord(m, 'ipv4', { group: '239.5.0.1', type: CHANGE_TO_INCLUDE, sources: 0 }), mark);
    expect(leave).toMatchObject({ source: sink.ip, destination: '224.0.0.22', hopLimit: 1, routerAlert: true });
    const c = await expectCountingRule(listener);
    expect(c).toMatchObject({ droppedMalformed: 0, droppedBacklog: 0, receiveErrors: 0, kernelDrops: 0, sent: 0, sendErrors: 0 });
  });

  it('IPv4, the host forced to IGMPv2: a v2 report to the group itself (the group a NIC must pass: ALLMULTI), a leave to 224.0.0.2', async () => {
    await forceVersion('ipv4', 2);
    const listener = await openListener('ipv4');
    const host = await openHost();
    await host.join('239.5.0.2');
    const report = await listener.next('IGMPv2 report', (_, m) => m[0] === 0x16);
    expect(report).toMatchObject({ source: sink.ip, destination: '239.5.0.2', hopLimit: 1, routerAlert: true, sourceMac: sink.mac });
    expect(report.payload).toBe(igmpV2Report('239.5.0.2').toString('hex'));

    await host.leave('239.5.0.2');
    const leave = await listener.next('IGMPv2 leave', (_, m) => m[0] === 0x17);
    expect(leave).toMatchObject({ source: sink.ip, destination: '224.0.0.2', hopLimit: 1, routerAlert: true });
    expect(payloadOf(leave).subarray(4).toString('hex')).toBe('ef050002'); // 239.5.0.2
  });

  it('IPv4: its general query leaves with TOS 0xc0, DF, TTL 1, Router Alert and a right header checksum, out0 -> 01:00:5e:00:00:01; the host answers; the socket never hears its own query, only another\'s', async () => {
    const listener = await openListener('ipv4');
    const host = await openHost();
    await host.join('239.5.0.3');
    await listener.next('the join', (_, m) => m[0] === IGMPV3_REPORT && hasRecord(m, 'ipv4', { group: '239.5.0.3' }));
    const atSink = await startListenerCapture(bed.ns.sink, bed.dev.sink, 1, 8);
    const atRelay = await startListenerCapture(bed.ns.relay, bed.dev.relayOut, 50, 8, true);
    bed.onCleanup(async () => [atSink.stop(), atRelay.stop()]);

    const query = igmpGeneralQuery(10); // answers within 1 s
    const mark = (await listener.packets()).length;
    await listener.send({ source: relay.ip, destination: '224.0.0.1', payload: query });
    // The host's current-state report: it took the query for one.
    await listener.next('the answer to the query', (_, m) => m[0] === IGMPV3_REPORT && hasRecord(m, 'ipv4', { group: '239.5.0.3', type: MODE_IS_EXCLUDE }), mark);

    const [arrived] = await atSink.frames;
    expect(ipv4Facts(arrived!.frame)).toEqual({
      destinationMac: '01:00:5e:00:00:01',
      sourceMac: relay.mac,
      ethertype: 0x0800,
      headerLength: 24,
      tos: 0xc0,
      totalLength: 24 + query.length,
      flags: 0x4000,
      ttl: 1,
      protocol: 2,
      headerChecksumOk: true,
      source: relay.ip,
      destination: '224.0.0.1',
      options: '94040000',
      payload: query,
    });
    atRelay.stop();
    const sent = (await atRelay.frames).filter((f) => f.outgoing);
    expect(sent.map((f) => f.frame.toString('hex'))).toEqual([arrived!.frame.toString('hex')]);
    // On out0 and never delivered back: no query at all reached the socket...
    expect((await listener.packets()).filter((p) => payloadOf(p)[0] === 0x11)).toEqual([]);
    // ...while a query from another router on the link does.
    await injectFrames(bed.ns.sink, bed.dev.sink, [ipv4Frame({ source: sink.ip, destination: '224.0.0.1', payload: query, sourceMac: sink.mac })]);
    const other = await listener.next('the other router\'s query', (_, m) => m[0] === 0x11);
    expect(other).toMatchObject({ source: sink.ip, destination: '224.0.0.1', sourceMac: sink.mac, payload: query.toString('hex') });
    expect(await expectCountingRule(listener)).toMatchObject({ sent: 1, sendErrors: 0 });
  });

  it('IPv6: hears the host\'s MLDv2 join and leave (to ff02::16) from its link-local address: hop limit 1, Router Alert, the ICMPv6 message to the byte', async () => {
    const listener = await openListener('ipv6');
    const host = await openHost();
    await host.join('ff15::5:1');
    const join = await listener.next('MLDv2 report TO_EX(ff15::5:1)', (_, m) => m[0] === MLDV2_REPORT && hasRecord(m, 'ipv6', { group: 'ff15::5:1', type: CHANGE_TO_EXCLUDE }));
    expect(join).toMatchObject({ family: 'ipv6', source: sink.linkLocal, destination: 'ff02::16', hopLimit: 1, routerAlert: true, sourceMac: sink.mac });
    expect(icmpv6ChecksumOk(payloadOf(join), join.source, join.destination)).toBe(true);

    const mark = (await listener.packets()).length;
    await host.leave('ff15::5:1');
    const leave = await listener.next('MLDv2 report TO_IN(ff15::5:1)', (_, m) => m[0] === MLDV2_REPORT && hasRecord(m, 'ipv6', { group: 'ff15::5:1', type: CHANGE_TO_INCLUDE, sources: 0 }), mark);
    expect(leave).toMatchObject({ source: sink.linkLocal, destination: 'ff02::16', hopLimit: 1, routerAlert: true });
    expect(await expectCountingRule(listener)).toMatchObject({ droppedMalformed: 0, droppedBacklog: 0, receiveErrors: 0 });
  });

  it('IPv6, the host forced to MLDv1: a report (131) to the group itself, a done (132) to ff02::2', async () => {
    await forceVersion('ipv6', 1);
    const listener = await openListener('ipv6');
    const host = await openHost();
    await host.join('ff15::5:2');
    const report = await listener.next('MLDv1 report', (_, m) => m[0] === 131);
    expect(report).toMatchObject({ source: sink.linkLocal, destination: 'ff15::5:2', hopLimit: 1, routerAlert: true, sourceMac: sink.mac });
    expect(report.payload).toBe(mldV1Message(131, 'ff15::5:2', sink.linkLocal, 'ff15::5:2').toString('hex'));

    await host.leave('ff15::5:2');
    const done = await listener.next('MLDv1 done', (_, m) => m[0] === 132);
    expect(done).toMatchObject({ source: sink.linkLocal, destination: 'ff02::2', hopLimit: 1, routerAlert: true });
    expect(done.payload).toBe(mldV1Message(132, 'ff15::5:2', sink.linkLocal, 'ff02::2').toString('hex'));
  });

  it('IPv6: its general query leaves with hop limit 1 and a Hop-by-Hop Router Alert (value 0), fe80:: of out0 -> 33:33:00:00:00:01; the host answers; the socket never hears its own query, only another\'s', async () => {
    const listener = await openListener('ipv6');
    const host = await openHost();
    await host.join('ff15::5:3');
    await listener.next('the join', (_, m) => m[0] === MLDV2_REPORT && hasRecord(m, 'ipv6', { group: 'ff15::5:3' }));
    const atSink = await startListenerCapture(bed.ns.sink, bed.dev.sink, 1, 8);
    const atRelay = await startListenerCapture(bed.ns.relay, bed.dev.relayOut, 50, 8, true);
    bed.onCleanup(async () => [atSink.stop(), atRelay.stop()]);

    const query = mldGeneralQuery(relay.linkLocal, 1000);
    const mark = (await listener.packets()).length;
    await listener.send({ source: relay.linkLocal, destination: 'ff02::1', payload: query });
    await listener.next('the answer to the query', (_, m) => m[0] === MLDV2_REPORT && hasRecord(m, 'ipv6', { group: 'ff15::5:3', type: MODE_IS_EXCLUDE }), mark);

    const [arrived] = await atSink.frames;
    expect(ipv6Facts(arrived!.frame)).toEqual({
      destinationMac: '33:33:00:00:00:01',
      sourceMac: relay.mac,
      ethertype: 0x86dd,
      payloadLength: 8 + query.length,
      nextHeader: 0,
      hopLimit: 1,
      source: relay.linkLocal,
      destination: 'ff02::1',
      hopByHop: routerAlertHopByHop(58).toString('hex'), // next header 58, Router Alert 0 (MLD), PadN
      payload: query,
    });
    atRelay.stop();
    const sent = (await atRelay.frames).filter((f) => f.outgoing);
    expect(sent.map((f) => f.frame.toString('hex'))).toEqual([arrived!.frame.toString('hex')]);
    expect((await listener.packets()).filter((p) => payloadOf(p)[0] === 130)).toEqual([]);
    const otherQuery = mldGeneralQuery(sink.linkLocal, 1000);
    await injectFrames(bed.ns.sink, bed.dev.sink, [ipv6Frame({ source: sink.linkLocal, destination: 'ff02::1', payload: otherQuery, sourceMac: sink.mac })]);
    const other = await listener.next('the other router\'s query', (_, m) => m[0] === 130);
    expect(other).toMatchObject({ source: sink.linkLocal, destination: 'ff02::1', routerAlert: true, payload: otherQuery.toString('hex') });
    expect(await expectCountingRule(listener)).toMatchObject({ sent: 1, sendErrors: 0 });
  });

  /**
   * Injects `frames` from the sink and waits until the `delivered` ones (by the injector's MAC) and
   * `malformed` drops are in; returns the injector's packets. Every other frame must have been kept
   * out by the filter: received grows by exactly what was delivered (from anyone) and dropped.
   */
  async function injectAndCount(listener: Listener, frames: Buffer[], delivered: number, malformed: number): Promise<Delivered[]> {
    const before = await listener.counters();
    const mark = (await listener.packets()).length;
    await injectFrames(bed.ns.sink, bed.dev.sink, frames);
    const injected = (ps: Delivered[]) => ps.slice(mark).filter((p) => p.sourceMac === '02:00:00:00:00:aa');
    await waitFor(() => listener.packets(), (ps) => injected(ps).length >= delivered);
    const after = await waitFor(() => listener.counters(), (c) => c.droppedMalformed - before.droppedMalformed >= malformed);
    await new Promise((resolve) => setTimeout(resolve, 300)); // anything more would have come by now
    const packets = (await listener.packets()).slice(mark);
    const settled = await listener.counters();
    expect(settled.droppedMalformed - before.droppedMalformed).toBe(malformed);
    expect(settled.received - before.received).toBe(malformed + packets.length);
    expect(settled).toMatchObject({ droppedBacklog: 0, kernelDrops: 0 });
    expect(after.droppedMalformed).toBe(settled.droppedMalformed);
    return injected(packets);
  }

  it('IPv4: delivers the IGMP message without the frame\'s padding, the TTL and Router Alert as they came; counts and drops malformed IP; never reads what the filter keeps out', async () => {
    const listener = await openListener('ipv4');
    const report = igmpV2Report('239.5.0.4');
    const base = { source: '10.99.0.7', destination: '239.5.0.4', payload: report };
    const headerPastPacket = ipv4Frame(base);
    headerPastPacket[14] = 0x4f; // 60 bytes of header in a 32-byte packet
    const delivered = [
      ipv4Frame({ ...base, padTo: 60 }), // Ethernet's minimum: 14 bytes of zeros after the message
      ipv4Frame({ ...base, ttl: 5, options: Buffer.alloc(0) }),
      withTag(ipv4Frame(base), 0), // a priority tag (VLAN 0) is no VLAN
    ];
    const malformed = [
      ipv4Frame({ ...base, badChecksum: true }),
      ipv4Frame({ ...base, totalLengthDelta: 4 }), // truncated
      headerPastPacket,
      ipv4Frame({ ...base, options: Buffer.from([0x94, 0x09, 0x00, 0x00]) }), // an option longer than the header
      ipv4Frame({ ...base, payload: report.subarray(0, 4) }), // an IGMP message of 4 bytes
    ];
    const keptOut = [
      ipv4Frame({ ...base, protocol: 17 }), // UDP
      ipv4Frame({ ...base, fragment: 0x2000 }), // a first fragment
      ipv4Frame({ ...base, destinationMac: Buffer.from('020000000bbb', 'hex') }), // to another host's MAC: OTHERHOST
      withTag(ipv4Frame(base), 5), // VLAN 5, which no device here takes: OTHERHOST
    ];
    const got = await injectAndCount(listener, [...delivered, ...malformed, ...keptOut], delivered.length, malformed.length);
    expect(got.map((p) => ({ hopLimit: p.hopLimit, routerAlert: p.routerAlert }))).toEqual([
      { hopLimit: 1, routerAlert: true },
      { hopLimit: 5, routerAlert: false },
      { hopLimit: 1, routerAlert: true },
    ]);
    for (const p of got) expect(p).toMatchObject({ family: 'ipv4', source: '10.99.0.7', destination: '239.5.0.4', payload: report.toString('hex') });
  });

  it('IPv6: delivers the MLD message behind a Hop-by-Hop header or none, without bytes past the payload length; counts and drops malformed IP; never reads other ICMPv6', async () => {
    const listener = await openListener('ipv6');
    const [source, group] = ['fe80::aa', 'ff15::5:4'];
    const report = mldV1Message(131, group, source, group);
    const base = { source, destination: group, payload: report };
    const delivered = [ipv6Frame({ ...base, trailing: 10 }), ipv6Frame({ ...base, hopByHop: null, hopLimit: 3 })];
    const malformed = [
      ipv6Frame({ ...base, payloadLengthDelta: 8 }), // truncated
      ipv6Frame({ ...base, payloadLengthDelta: -(8 + report.length) }), // payload length 0: a jumbogram
      ipv6Frame({ ...base, hopByHop: Buffer.from([58, 0, 5, 9, 0, 0, 1, 0]) }), // an option longer than its header
      ipv6Frame({ ...base, payload: report.subarray(0, 4) }), // an MLD message of 4 bytes
    ];
    const keptOut = [
      // A Hop-by-Hop header of 88 bytes in a 32-byte payload: the filter's read of the type past the
      // packet's end fails, which drops it.
      ipv6Frame({ ...base, hopByHop: Buffer.from([58, 10, 5, 2, 0, 0, 1, 0]) }),
      ipv6Frame({ ...base, payload: Buffer.from([128, 0, 0, 0, 0, 1, 0, 1]) }), // echo request
      ipv6Frame({ ...base, hopByHop: null, payload: Buffer.alloc(24, 0).fill(135, 0, 1) }), // neighbour solicitation
      ipv6Frame({ ...base, nextHeader: 17 }), // Hop-by-Hop, then UDP
      ipv6Frame({ ...base, destinationMac: Buffer.from('020000000bbb', 'hex') }), // OTHERHOST
    ];
    const got = await injectAndCount(listener, [...delivered, ...malformed, ...keptOut], delivered.length, malformed.length);
    expect(got.map((p) => ({ hopLimit: p.hopLimit, routerAlert: p.routerAlert }))).toEqual([
      { hopLimit: 1, routerAlert: true },
      { hopLimit: 3, routerAlert: false },
    ]);
    for (const p of got) expect(p).toMatchObject({ family: 'ipv6', source, destination: group, payload: report.toString('hex') });
  });

  it('close: joins the reader thread, closes its descriptors, gives ALLMULTI back, delivers nothing more; idempotent; send then fails with EBADF', async () => {
    const agent = bed.agent();
    // The interface's count of ALLMULTI references (IFLA_ALLMULTI; the ALLMULTI flag ip shows is
    // only the one set by hand).
    const allMulticast = async () => {
      const { stdout } = await inNetns(bed.ns.relay, 'ip', ['-d', '-j', 'link', 'show', 'dev', bed.dev.relayOut]);
      return (JSON.parse(stdout) as Array<{ allmulti: number }>)[0]!.allmulti;
    };
    // A first socket opened and closed: whatever the process allocates once (the addon, its first
    // thread-safe function) is there before the count starts.
    await (await openListener('ipv4', agent, 'warm-up')).close();
    const before = await agent.call<{ fds: number; threads: number }>('process.resources');
    expect(await allMulticast()).toBe(0);

    const v4 = await openListener('ipv4', agent, 'v4');
    const v6 = await openListener('ipv6', agent, 'v6');
    // Per socket: the AF_PACKET socket, its eventfd, its reader thread.
    expect(await agent.call('process.resources')).toEqual({ fds: before.fds + 4, threads: before.threads + 2 });
    expect(await allMulticast()).toBe(2);
    await v4.close();
    expect(await allMulticast()).toBe(1);
    await v6.close(); // listener.close calls close() twice
    expect(await agent.call('process.resources')).toEqual(before);
    expect(await allMulticast()).toBe(0);

    const host = await openHost();
    await host.join('239.5.0.5');
    await host.join('ff15::5:5');
    await new Promise((resolve) => setTimeout(resolve, 1500)); // the host has reported both by now
    expect((await v4.events()).packets).toEqual([]);
    expect((await v6.events()).packets).toEqual([]);

    const refused = await v4.send({ source: relay.ip, destination: '224.0.0.1', payload: igmpGeneralQuery() }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AgentCallError);
    expect((refused as AgentCallError).detail).toMatchObject({ isNativeError: true, code: 'EBADF', syscall: 'sendmsg', interface: bed.dev.relayOut, group: '224.0.0.1' });
  });

  const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));

  /** A node process in the relay namespace running `body` (an ES module; `pkg` is relay-native, `options` a socket's). */
  function runNode(body: string) {
    const options = { ifindex: relay.ifindex, interfaceName: bed.dev.relayOut, family: 'ipv4' };
    const source = `const pkg = await import(${JSON.stringify(DIST)}); const options = ${JSON.stringify(options)};\n${body}`;
    const child = spawn('ip', ['netns', 'exec', bed.ns.relay, process.execPath, '--input-type=module', '-e', source], { stdio: ['ignore', 'pipe', 'pipe'] });
    let [stdout, stderr] = ['', ''];
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
    );
    bed.onCleanup(async () => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
    const ready = waitFor(async () => stdout, (text) => text.includes('ready'));
    return { child, exited, ready };
  }

  it('the event loop: an open socket holds it, close() (even inside onPacket) lets the process end, and a worker_thread torn down with one open ends cleanly', async () => {
    const host = await openHost();
    const closing = runNode(`const s = new pkg.ListenerSocket({ ...options, onPacket: () => { s.close(); console.log('closed'); } }); console.log('ready');`);
    const held = runNode(`new pkg.ListenerSocket({ ...options, onPacket: () => {} }); console.log('ready');`);
    // The worker inherits --input-type=module: its code is a module too.
    const worker = runNode(`
      const { Worker } = await import('node:worker_threads');
      const code = 'const { parentPort } = await import("node:worker_threads"); const pkg = await import(' + JSON.stringify(${JSON.stringify(DIST)}) + ');' +
        'new pkg.ListenerSocket({ ...' + JSON.stringify(options) + ', onPacket: () => {} }); parentPort.postMessage("open");';
      const w = new Worker(code, { eval: true });
      w.once('message', async () => { console.log('ready'); await w.terminate(); console.log('terminated'); });`);
    expect(await closing.ready).toContain('ready');
    expect(await held.ready).toContain('ready');
    await host.join('239.5.0.6');
    const ended = await closing.exited;
    expect(ended).toMatchObject({ code: 0, signal: null });
    expect(ended.stdout).toContain('closed');
    expect(await worker.exited).toMatchObject({ code: 0, signal: null, stdout: 'ready\nterminated\n' });
    // The socket that stays open keeps its process alive, as a bound dgram socket would.
    expect(held.child.exitCode).toBeNull();
    held.child.kill('SIGTERM');
    expect((await held.exited).signal).toBe('SIGTERM');
  });

  it('a receive error (ENETDOWN: the link went down) reaches onError as a NativeError, and the socket hears again once the link is back', async () => {
    const listener = await openListener('ipv4');
    await inNetns(bed.ns.relay, 'ip', ['link', 'set', 'dev', bed.dev.relayOut, 'down']);
    try {
      const { errors } = await waitFor(() => listener.events(), (e) => e.errors.length > 0);
      expect(errors).toEqual([expect.objectContaining({ isNativeError: true, name: 'NativeError', code: 'ENETDOWN', syscall: 'recvfrom', interface: bed.dev.relayOut })]);
    } finally {
      await inNetns(bed.ns.relay, 'ip', ['link', 'set', 'dev', bed.dev.relayOut, 'up']);
    }
    const host = await openHost();
    await host.join('239.5.0.7');
    await listener.next('a report after the link came back', (_, m) => m[0] === IGMPV3_REPORT && hasRecord(m, 'ipv4', { group: '239.5.0.7' }));
    expect(await listener.counters()).toMatchObject({ receiveErrors: 1 });
    expect((await listener.events()).errors).toHaveLength(1);
  });
});
