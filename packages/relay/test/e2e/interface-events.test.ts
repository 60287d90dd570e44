import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { injectFrames, runSender, udpFrame, type Endpoint, type Lab } from '@mcr/netns-lab';
import { pushTraffic, RelayProcess, ruleFor, sleep, sourceProbe, streamPlan, waitFor, useChainLab } from './harness.js';

// Interface changes arrive through rtnetlink (`ip monitor`, LinkMonitor) and the relay reacts within
// 100 ms, where the one-second sysfs poll alone took up to a second.
const run = promisify(execFile);
const ip = (ns: string, ...args: string[]) => run('ip', ['-n', ns, ...args]);

/**
 * How soon an rtnetlink event must be acted on: well inside the once-a-second sysfs poll that backs
 * it up (so a missed event shows), with room for a shared machine that delays the reaction.
 */
const EVENT_BOUND_MS = 400;

/** When the relay logged a line matching `pattern` (its ISO timestamp), in ms since the epoch. */
function loggedAt(stderr: string, pattern: RegExp): number | undefined {
  const line = stderr.split('\n').find((l) => pattern.test(l));
  return line === undefined ? undefined : Date.parse(line.split(' ')[0]!);
}

/**
 * The source MACs of the UDP frames to `port` that arrive on `sink`'s interface (AF_PACKET): per MAC,
 * how many and when the first and last came (ms since the epoch).
 */
function sourceMacProbe(sink: Pick<Endpoint, 'ns' | 'ifname'>, port: number) {
  const script = `
import json, signal, socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((${JSON.stringify(sink.ifname)}, 3))
seen = {}
def done(*_):
    print(json.dumps(seen), flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, done)
print("ready", flush=True)
while True:
    frame, address = s.recvfrom(65536)
    if address[2] == 4 or len(frame) < 42 or frame[12:14] != b"\\x08\\x00":
        continue
    udp = 14 + (frame[14] & 15) * 4
    if frame[23] != 17 or int.from_bytes(frame[udp + 2 : udp + 4], "big") != ${port}:
        continue
    now = time.time() * 1000
    entry = seen.setdefault(frame[6:12].hex(":"), {"count": 0, "first": now, "last": now})
    entry["count"] += 1
    entry["last"] = now
`;
  const child = spawn('ip', ['netns', 'exec', sink.ns, 'python3', '-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const ready = waitFor('MAC probe ready', async () => out.includes('ready'), 5000);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    ready,
    async stop(): Promise<Record<string, { count: number; first: number; last: number }>> {
      child.kill('SIGTERM');
      await exited;
      return JSON.parse(out.split('\n').filter(Boolean).at(-1)!);
    },
  };
}

describe('interface events (rtnetlink)', () => {
  let lab: Lab;
  useChainLab((l) => (lab = l));

  it('an output address change under traffic: the new source address within 100 ms, no packet lost', async () => {
    const [s] = streamPlan(1);
    const out = lab.topo.relay.outputs[0]!;
    const sink = lab.topo.sinks[0]!;
    const fresh = '10.250.0.1';
    await run('ip', ['netns', 'exec', sink.ns, 'sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=0', `net.ipv4.conf.${sink.ifname}.rp_filter=0`]);
    const relay = await RelayProcess.start(lab.topo.relay.ns, { rules: [ruleFor(s!, lab)] });
    const probe = sourceProbe(sink, s!.outGroup, s!.outPort);
    try {
      await probe.ready;
      const count = 8000;
      const sending = runSender({ netns: lab.topo.source.ns, interface: lab.topo.source.ifname, streams: [{ group: s!.group, port: s!.port }], rate: 4000, count, ttl: 8 });
      await sleep(800);
      // The change is complete when the old address is gone; the relay may follow already at the add.
      const startedAt = Date.now();
      await ip(out.ns, 'addr', 'add', `${fresh}/24`, 'dev', out.ifname);
      await ip(out.ns, 'addr', 'del', out.address, 'dev', out.ifname);
      const changedAt = Date.now();
      await waitFor('stats show the new address', async () => (await relay.result('stats')).interfaces.some((st: { name: string; ipv4: string }) => st.name === out.ifname && st.ipv4 === fresh), 2000);
      const seenMs = loggedAt(relay.stderr, new RegExp(`interface ${out.ifname} has IPv4 ${fresh.replace(/\./g, '\\.')}`))! - changedAt;
      await sending;
      await sleep(300);
      const sources = await probe.stop();
      const firstNew = sources[fresh]?.first ?? Infinity;
      console.info(`address change (ip addr add + del took ${changedAt - startedAt} ms): logged ${seenMs} ms after, first packet from ${fresh} ${firstNew - changedAt} ms after; ${JSON.stringify(sources)}`);
      expect(Object.keys(sources).sort()).toEqual([out.ip, fresh].sort());
      expect(sources[out.ip]!.count + sources[fresh]!.count).toBe(count);
      expect(firstNew - changedAt).toBeLessThan(EVENT_BOUND_MS);
      expect(seenMs).toBeLessThan(EVENT_BOUND_MS);
    } finally {
      await probe.stop().catch(() => undefined);
      await relay.stop();
      await ip(out.ns, 'addr', 'add', out.address, 'dev', out.ifname).catch(() => undefined);
      await ip(out.ns, 'addr', 'del', `${fresh}/24`, 'dev', out.ifname).catch(() => undefined);
    }
  });

  it("an output's MAC changed under traffic: frames carry it and the loop guard knows it within 1 s", async () => {
    const [s] = streamPlan(1);
    const out = lab.topo.relay.outputs[0]!;
    const src = lab.topo.source;
    const fresh = '02:6d:63:72:00:01';
    const { stdout } = await ip(out.ns, '-j', 'link', 'show', 'dev', out.ifname);
    const old = (JSON.parse(stdout) as Array<{ address: string }>)[0]!.address;
    const relay = await RelayProcess.start(lab.topo.relay.ns, { rules: [ruleFor(s!, lab)] });
    const probe = sourceMacProbe(lab.topo.sinks[0]!, s!.outPort);
    try {
      await probe.ready;
      const count = 6000;
      const sending = runSender({ netns: src.ns, interface: src.ifname, streams: [{ group: s!.group, port: s!.port }], rate: 2000, count, ttl: 8 });
      await sleep(800);
      await ip(out.ns, 'link', 'set', 'dev', out.ifname, 'address', fresh);
      const changedAt = Date.now();
      // A frame from the new MAC that comes back on the input is the relay's own: dropped (ownFrames).
      const fromFresh = udpFrame({ group: s!.group, port: s!.port, ttl: 8 });
      Buffer.from(fresh.replace(/:/g, ''), 'hex').copy(fromFresh, 6);
      const guardMs = await waitFor('the loop guard knows the new MAC', async () => {
        await injectFrames(src.ns, src.ifname, [fromFresh]);
        await sleep(20);
        return (await relay.result('stats')).totals.ownFrames > 0;
      }, 3000);
      await sending;
      await sleep(300);
      const macs = await probe.stop();
      const firstNew = macs[fresh]?.first ?? Infinity;
      console.info(`MAC ${old} -> ${fresh}: loop guard after ${guardMs} ms, first frame from it ${firstNew - changedAt} ms after; ${JSON.stringify(macs)}`);
      expect(Object.keys(macs).sort()).toEqual([old, fresh].sort());
      expect(macs[old]!.count + macs[fresh]!.count).toBe(count);
      expect(firstNew - changedAt).toBeLessThan(1000);
      expect(macs[old]!.last).toBeLessThanOrEqual(firstNew); // no frame from the old MAC after the first from the new one
      expect(guardMs).toBeLessThan(1000);
    } finally {
      await probe.stop().catch(() => undefined);
      await relay.stop();
      await ip(out.ns, 'link', 'set', 'dev', out.ifname, 'address', old).catch(() => undefined);
    }
  });

  it('down and up of an output are reported within 100 ms', async () => {
    const [s] = streamPlan(1);
    const out = lab.topo.relay.outputs[0]!;
    const relay = await RelayProcess.start(lab.topo.relay.ns, { rules: [ruleFor(s!, lab)] });
    try {
      // Timed by the relay's own log line: polling stats would add its round trips to the figure.
      const events = async () => (await relay.result('stats')).interfaceEvents as { down: number; up: number };
      const downAt = Date.now();
      await ip(out.ns, 'link', 'set', out.ifname, 'down');
      await waitFor('down reported', async () => (await events()).down === 1, 2000);
      const upAt = Date.now();
      await ip(out.ns, 'link', 'set', out.ifname, 'up');
      await waitFor('up reported', async () => (await events()).up === 1, 2000);
      const downMs = loggedAt(relay.stderr, new RegExp(`interface ${out.ifname} is down`))! - downAt;
      const upMs = loggedAt(relay.stderr, new RegExp(`interface ${out.ifname} is up`))! - upAt;
      console.info(`link events: down seen after ${downMs} ms, up after ${upMs} ms`);
      expect(downMs).toBeLessThan(EVENT_BOUND_MS);
      expect(upMs).toBeLessThan(EVENT_BOUND_MS);
    } finally {
      await ip(out.ns, 'link', 'set', out.ifname, 'up').catch(() => undefined);
      expect(await relay.stop()).toBe(0);
    }
  });

  it('an input and an output renamed under traffic are followed by ifindex: nothing stops, nothing is rebound', async () => {
    const [s] = streamPlan(1);
    const { ns } = lab.topo.relay;
    const input = lab.topo.relay.inputs[0]!.ifname;
    const output = lab.topo.relay.outputs[0]!.ifname;
    const relay = await RelayProcess.start(ns, { rules: [ruleFor(s!, lab)] });
    const renamed: Array<[string, string]> = [];
    try {
      const pids = (await relay.result('stats')).workers.map((w: { pid: number }) => w.pid);
      // A rename needs the link down: the input is renamed without traffic loss checks, the output's
      // copies are lost while it is down; what matters is that forwarding resumes on the same sockets.
      for (const name of [input, output]) {
        await ip(ns, 'link', 'set', name, 'down');
        await ip(ns, 'link', 'set', name, 'name', `${name}x`);
        renamed.push([`${name}x`, name]);
        await ip(ns, 'link', 'set', `${name}x`, 'up');
      }
      await waitFor('renames followed', async () => (await relay.result('stats')).interfaceEvents.renamed === 2, 3000);
      const { received } = await pushTraffic(lab, [s!], { rate: 4000, count: 2000 });
      expect(received.streams[0]!.unique).toBe(2000);
      const stats = await relay.result('stats');
      expect(stats.workers.map((w: { pid: number }) => w.pid)).toEqual(pids);
      expect(stats.interfaceEvents).toMatchObject({ gone: 0, back: 0, renamed: 2 });
      expect(stats.interfaces.map((st: { name: string; renamedTo?: string }) => [st.name, st.renamedTo]).sort()).toEqual([
        [input, `${input}x`],
        [output, `${output}x`],
      ]);
      expect(relay.stderr).toMatch(new RegExp(`interface ${output} was renamed to ${output}x: followed by ifindex`));
    } finally {
      for (const [now, was] of renamed) {
        await ip(ns, 'link', 'set', now, 'down').catch(() => undefined);
        await ip(ns, 'link', 'set', now, 'name', was).catch(() => undefined);
        await ip(ns, 'link', 'set', was, 'up').catch(() => undefined);
      }
      expect(await relay.stop()).toBe(0);
    }
  });

  it('an input MTU raised: its workers are replaced with rings that fit, and 8000-byte datagrams are forwarded whole', async () => {
    const [s] = streamPlan(1);
    const { relay: r, source, sinks } = lab.topo;
    const links = [source, r.inputs[0]!, r.outputs[0]!, sinks[0]!];
    const relay = await RelayProcess.start(r.ns, { rules: [ruleFor(s!, lab)] });
    try {
      const pids = (await relay.result('stats')).workers.map((w: { pid: number }) => w.pid);
      for (const l of links) await ip(l.ns, 'link', 'set', l.ifname, 'mtu', '9000');
      await waitFor('workers replaced', async () => {
        const st = await relay.result('stats');
        return st.interfaceEvents.workerRestarts === 1 && st.workers.every((w: { alive: boolean; pid: number }) => w.alive && !pids.includes(w.pid));
      }, 5000);
      const { received } = await pushTraffic(lab, [s!], { rate: 500, count: 500, size: 8000 });
      const stats = await relay.result('stats');
      // What reaches the relay's ring is the lab's business at 8000 B (some are lost before it, not
      // counted by the relay); what the relay sees it must forward whole: with rings still sized for
      // 1500 every one of these frames would be truncated (malformed).
      const t = stats.totals;
      console.info(`MTU 9000: sent 500 x 8000 B, ring got ${t.kernelPackets}, forwarded ${t.forwarded}, malformed ${t.malformed}, received ${received.streams[0]!.unique}`);
      expect(t.forwarded).toBeGreaterThan(250);
      expect({ malformed: t.malformed, kernelDrops: t.kernelDrops, received: received.streams[0]!.unique }).toEqual({ malformed: 0, kernelDrops: 0, received: t.forwarded });
      expect(stats.interfaces.find((st: { name: string }) => st.name === r.inputs[0]!.ifname).mtu).toBe(9000);
      expect(relay.stderr).toMatch(new RegExp(`restarting the workers of ${r.inputs[0]!.ifname}: its rings were sized for MTU 1500, it is 9000 now`));
    } finally {
      for (const l of links) await ip(l.ns, 'link', 'set', l.ifname, 'mtu', '1500').catch(() => undefined);
      expect(await relay.stop()).toBe(0);
    }
  });

  it('a unicast output whose interface address changes: its workers are replaced and send from the new address', async () => {
    const [s] = streamPlan(1);
    const { relay: r, sinks } = lab.topo;
    const out = r.outputs[0]!;
    const sink = sinks[0]!;
    // Same subnet, so the sink stays reachable: the old primary's removal promotes the new one.
    const fresh = out.ip.replace(/\.\d+$/, '.200');
    await run('ip', ['netns', 'exec', r.ns, 'sysctl', '-qw', `net.ipv4.conf.${out.ifname}.promote_secondaries=1`]);
    const rule = { ...ruleFor(s!, lab), outputs: [{ interface: out.ifname, group: sink.ip, port: s!.outPort, ttl: 8 }] };
    const relay = await RelayProcess.start(r.ns, { rules: [rule] });
    const probe = sourceProbe(sink, sink.ip, s!.outPort);
    try {
      await probe.ready;
      const sending = runSender({ netns: lab.topo.source.ns, interface: lab.topo.source.ifname, streams: [{ group: s!.group, port: s!.port }], rate: 2000, count: 6000, ttl: 8 });
      await sleep(800);
      await ip(out.ns, 'addr', 'add', `${fresh}/${out.address.split('/')[1]}`, 'dev', out.ifname);
      await ip(out.ns, 'addr', 'del', out.address, 'dev', out.ifname);
      await sending;
      await sleep(300);
      const sources = await probe.stop();
      console.info(`unicast output, address ${out.ip} -> ${fresh}: ${JSON.stringify(sources)}`);
      expect(sources[fresh]?.count ?? 0).toBeGreaterThan(1000);
      expect(relay.stderr).toMatch(new RegExp(`restarting the workers of ${r.inputs[0]!.ifname}: the unicast sockets on ${out.ifname} must be bound to its new address`));
    } finally {
      await probe.stop().catch(() => undefined);
      await relay.stop();
      await ip(out.ns, 'addr', 'add', out.address, 'dev', out.ifname).catch(() => undefined);
      await ip(out.ns, 'addr', 'del', `${fresh}/${out.address.split('/')[1]}`, 'dev', out.ifname).catch(() => undefined);
    }
  });
});
