// Runs INSIDE the relay namespace of a `switch` bed (ip netns exec NS node join-probe.js ...):
// joins a group with the relay's own join path (relay-native's MembershipSocket; a dgram socket if
// the addon is missing), and watches the input interface's rx_packets counter to time when the
// snooping switch starts and stops forwarding the group. Prints one JSON line per round.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    ifname: { type: 'string' },
    ifindex: { type: 'string' },
    ip: { type: 'string' },
    group: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    'quiet-ms': { type: 'string', default: '300' },
    'timeout-ms': { type: 'string', default: '15000' },
  },
});
const ifname = values.ifname!;
const group = values.group!;
const rounds = Number(values.rounds);
const quietMs = Number(values['quiet-ms']);
const timeoutMs = Number(values['timeout-ms']);
const counter = `/sys/class/net/${ifname}/statistics/rx_packets`;
const rx = (): number => Number(readFileSync(counter, 'utf8'));
const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const nap = new Int32Array(new SharedArrayBuffer(4));
const pause = (ms: number): void => void Atomics.wait(nap, 0, 0, ms);

interface Joiner {
  method: string;
  join(): void;
  leave(): void;
  close(): void;
}

async function joiner(): Promise<Joiner> {
  const ifindex = Number(values.ifindex ?? readFileSync(`/sys/class/net/${ifname}/ifindex`, 'utf8'));
  try {
    const mod = (await import('@mcr/relay-native' as string)) as { MembershipSocket: new () => { join(i: number, g: string, n?: string): void; leave(i: number, g: string, n?: string): void; close(): void } };
    const m = new mod.MembershipSocket();
    return { method: 'relay-native MembershipSocket (IGMP join by ifindex)', join: () => m.join(ifindex, group, ifname), leave: () => m.leave(ifindex, group, ifname), close: () => m.close() };
  } catch {
    const s = createSocket({ type: 'udp4', reuseAddr: true });
    await new Promise<void>((r) => s.bind(0, () => r()));
    return { method: 'node:dgram addMembership', join: () => s.addMembership(group, values.ip), leave: () => s.dropMembership(group, values.ip), close: () => s.close() };
  }
}

const j = await joiner();
process.stdout.write(JSON.stringify({ method: j.method }) + '\n');
for (let round = 1; round <= rounds; round++) {
  // Join: the first packets beyond a quiet baseline (IGMP queries add at most a couple).
  const before = rx();
  const t0 = now();
  j.join();
  let joinMs: number | null = null;
  while (now() - t0 < timeoutMs) {
    if (rx() - before >= 3) {
      joinMs = now() - t0;
      break;
    }
    pause(0.2);
  }
  pause(500);
  // Leave: the last increase of the counter, once it has been quiet for quietMs.
  const t1 = now();
  j.leave();
  let last = rx();
  let lastAt = t1;
  let leaveMs: number | null = null;
  while (now() - t1 < timeoutMs) {
    const v = rx();
    if (v - last >= 2) {
      last = v;
      lastAt = now();
    } else if (now() - lastAt >= quietMs) {
      leaveMs = lastAt - t1;
      break;
    }
    pause(0.2);
  }
  process.stdout.write(JSON.stringify({ round, joinMs, leaveMs }) + '\n');
  pause(quietMs);
}
j.close();
