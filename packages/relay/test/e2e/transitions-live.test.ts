import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { AddressFamily, Lab } from '@mcr/netns-lab';
import { decode, encode, GROUP, sourceName } from '../listeners/listener-fixtures.js';
import { RECORD_ROWS, setUp, type Row } from '../listeners/transition-rows.js';
import type { ListenerMessage } from '../../src/listeners/listener-messages.js';
import { RelayProcess, sleep, useChainLab, waitFor } from './harness.js';

// The record rows of the RFC 3376 §6.4 / RFC 3810 §7.4 transition table (transition-rows.ts, which
// the pure table test runs in full), sent as real IGMPv3 / MLDv2 reports from the sink's namespace
// through a raw socket, received by the relay's listener socket, and read back from `mcr stats --json`
// (`listeners`): in the spirit of the kernel's bridge_igmp.sh / bridge_mld.sh selftests. Each row
// gets a group of its own, so one relay runs them all. Its timers are the RFC defaults, as in the
// pure table; a row's state is made and changed at once rather than 10 s apart, so a timer the pure
// table reads at 250 s (set at 0 s, read at 10 s) reads the full 260 s here.

/** Row i's group: 239.77.0.(i+1) or ff3e::77:(i+1). */
const rowGroup = (family: AddressFamily, i: number) => (family === 'ipv4' ? `239.77.0.${i + 1}` : `ff3e::77:${i + 1}`);

/** The row's message, moved to `group` (the table's fixtures build everything for one group). */
function forGroup(family: AddressFamily, bytes: Buffer, group: string): ListenerMessage {
  const m = decode(family, bytes);
  if (m.kind === 'records') return { kind: 'records', records: m.records.map((r) => ({ ...r, group: r.group === GROUP[family] ? group : r.group })) };
  return 'group' in m && m.group === GROUP[family] ? { ...m, group } : m;
}

/**
 * Sends IGMP (IPv4) or ICMPv6 (MLD) payloads from `ns` on `ifname` with a raw socket, hop limit 1, to
 * 224.0.0.22 / ff02::16 (where IGMPv3 and MLDv2 reports go). The kernel writes the IP header (and the
 * ICMPv6 checksum over its own source address, so MLD bytes may carry any checksum).
 */
function sendRaw(ns: string, ifname: string, family: AddressFamily, payloads: Buffer[]): void {
  const script = `
import socket, sys
v6 = sys.argv[1] == 'ipv6'
ifname = sys.argv[2]
if v6:
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    idx = socket.if_nametoindex(ifname)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 1)
    dest = ('ff02::16', 0, 0, idx)
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_IGMP)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    dest = ('224.0.0.22', 0)
for h in sys.argv[3:]:
    s.sendto(bytes.fromhex(h), dest)
`;
  execFileSync('ip', ['netns', 'exec', ns, 'python3', '-c', script, family, ifname, ...payloads.map((p) => p.toString('hex'))]);
}

interface LiveRow {
  interface: string;
  group: string;
  source: string | null;
  mode: 'include' | 'exclude';
  expiresInMs: number | null;
}

/** The pure table's expected timers as a live relay shows them: 250 s is 260 s here (see above). */
const liveSeconds = (s: number) => (s === 250 ? 260 : s);

/** What differs between a row's expected state and the live relay's rows for its group. */
function compare(family: AddressFamily, row: Row, mine: LiveRow[]): string[] {
  const e = row.expect;
  const mode = mine[0]?.mode ?? null;
  const timers = Object.fromEntries(mine.filter((l) => l.source !== null).map((l) => [sourceName(family, l.source!), Math.round((l.expiresInMs ?? 0) / 1000)]));
  const groupTimer = mine.find((l) => l.source === null)?.expiresInMs ?? null;
  const expectedTimers = Object.fromEntries(Object.entries(e.timers ?? {}).map(([n, s]) => [n, liveSeconds(s)]));
  return [
    mode !== e.mode ? `mode ${mode}, expected ${e.mode}` : '',
    e.timers && JSON.stringify(Object.entries(timers).sort()) !== JSON.stringify(Object.entries(expectedTimers).sort()) ? `source timers ${JSON.stringify(timers)}, expected ${JSON.stringify(expectedTimers)}` : '',
    e.groupTimer !== undefined && e.mode !== null && (e.groupTimer === null ? groupTimer !== null : groupTimer === null || Math.abs(groupTimer / 1000 - liveSeconds(e.groupTimer)) > 1)
      ? `group timer ${groupTimer} ms, expected ${e.groupTimer === null ? null : liveSeconds(e.groupTimer)} s`
      : '',
  ].filter(Boolean);
}

describe.each(['ipv4', 'ipv6'] as const)('the transition table through a live relay (%s)', (family) => {
  let lab: Lab;
  useChainLab((l) => (lab = l));

  it(`the ${RECORD_ROWS.length} record rows (${family === 'ipv4' ? 'IGMPv3' : 'MLDv2'}) end in the table's state`, async () => {
    const sink = lab.topo.sinks[0]!;
    const out = lab.topo.relay.outputs[0]!.ifname;
    const rows = RECORD_ROWS.map((row, i) => ({ row, group: rowGroup(family, i) }));
    const relay = await RelayProcess.start(lab.topo.relay.ns, {
      rules: [
        {
          id: 'listened',
          input: { interface: lab.topo.relay.inputs[0]!.ifname, group: family === 'ipv4' ? '239.77.0.0/24' : 'ff3e::77:0/120', port: 5001 },
          join: false,
          outputs: [{ interface: out, group: family === 'ipv4' ? '239.77.0.0/24' : 'ff3e::77:0/120', port: 5001, forward: 'listeners' }],
        },
      ],
    });
    try {
      await waitFor('the relay to query', async () => (await relay.result('stats')).queriers.length === 1);
      const messages = (row: Row) => [...setUp(family, row.initial), ...row.steps].flatMap((step) => (step.bytes ? [step.bytes(family)] : []));
      sendRaw(sink.ns, sink.ifname, family, rows.flatMap(({ row, group }) => messages(row).map((bytes) => encode(family, forGroup(family, bytes, group)))));
      // A row whose last step only lets time pass (a leave's last member query time) is read that much later.
      const waitOf = (row: Row) => {
        const last = row.steps.at(-1)!;
        const lastMessage = [...row.steps].reverse().find((st) => st.bytes);
        return last.bytes || !lastMessage ? 0 : (last.at - lastMessage.at) * 1000;
      };
      const failures: string[] = [];
      const readAt = [...new Set(rows.map(({ row }) => waitOf(row)))].sort((a, b) => a - b);
      const started = Date.now();
      for (const wait of readAt) {
        await sleep(Math.max(0, wait + 300 - (Date.now() - started)));
        const live: LiveRow[] = (await relay.result('stats')).listeners;
        for (const { row, group } of rows.filter((r) => waitOf(r.row) === wait)) {
          const problems = compare(family, row, live.filter((l) => l.group === group && l.interface === out));
          if (problems.length > 0) failures.push(`${row.name}: ${problems.join('; ')}`);
        }
      }
      expect(failures).toEqual([]);
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });
});
