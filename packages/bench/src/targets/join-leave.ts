// bench:join-leave: RFC 3918 group join delay (4.1) and group leave delay (4.2) of mcr with outputs
// that forward to listeners, per family, over --rounds joins and leaves (default 60), as measured on
// the output segment's wire by a passive observer (mcr-lab's measureJoinLeave: report -> first
// packet, leave -> last packet). igmpproxy, Debian's RFC 4605 IGMP proxy, is the reference where it
// can run: it needs kernel multicast routing (probed, never assumed) and speaks IGMP only; where it
// cannot, its row says why and carries no figure.
import { JOIN_LEAVE_HOLD_MS, JOIN_LEAVE_QUIET_MS, LAB_IGMP, measureJoinLeave } from '@mcr/mcr-lab';
import { machineFindings, run, type AddressFamily } from '@mcr/netns-lab';
import type { DelayFigures, JoinLeaveResult, JoinLeaveRound, JoinLeaveRow } from '../results/schema.js';
import { finishResult, makeResult, publish, startClock } from '../output.js';
import type { Settings } from '../settings.js';

/** Offered rate of the one stream: a packet every 4 ms, the resolution of the delays. */
export const JOIN_LEAVE_RATE_PPS = 250;
export const JOIN_LEAVE_FAMILIES: readonly AddressFamily[] = ['ipv4', 'ipv6'];

const r1 = (x: number) => Math.round(x * 10) / 10;

export function delayFigures(values: (number | null)[]): DelayFigures {
  const v = values.filter((x): x is number => x !== null).sort((a, b) => a - b);
  const at = (q: number) => (v.length ? r1(v[Math.min(v.length - 1, Math.ceil(q * v.length) - 1)]!) : null);
  return { count: v.length, median: at(0.5), p99: at(0.99), min: v.length ? r1(v[0]!) : null, max: v.length ? r1(v.at(-1)!) : null };
}

/** Why igmpproxy is not measured here for `family` (probed in this order: MLD, multicast routing, the binary, the adapter). */
export async function igmpproxyUnavailable(family: AddressFamily): Promise<string> {
  if (family === 'ipv6') return 'igmpproxy relays IGMP only (no MLD): no IPv6 figure';
  const m = await machineFindings();
  const routing = m.features.ipv4MulticastRouting;
  if (routing.available !== true) return `this kernel has no IPv4 multicast routing (CONFIG_IP_MROUTE), which igmpproxy needs for its forwarding; ${routing.how}`;
  const installed = await run('sh', ['-c', 'command -v igmpproxy']).then(() => true, () => false);
  if (!installed) return 'igmpproxy is not installed (Debian package igmpproxy; ./tools/setup.sh installs it)';
  // The lab has no igmpproxy adapter yet: a machine where it could run says so instead of giving a figure.
  return 'this machine has IPv4 multicast routing and igmpproxy, but the lab has no igmpproxy adapter yet: not measured';
}

export const describeDelays = (d: DelayFigures | undefined): string =>
  !d || d.median === null ? '-' : `median ${d.median} ms, p99 ${d.p99} ms (${d.min}-${d.max}, ${d.count} rounds)`;

export async function runJoinLeave(s: Settings, cwd: string): Promise<number> {
  const clock = startClock();
  const result = makeResult(s, clock, cwd);
  const rows: JoinLeaveRow[] = [];
  const setup = `forward "listeners", igmp querier auto, query interval ${LAB_IGMP.queryInterval} s, response ${LAB_IGMP.queryResponseInterval} s, last member ${LAB_IGMP.lastMemberQueryInterval} s x ${LAB_IGMP.robustness}`;
  for (const family of JOIN_LEAVE_FAMILIES) {
    process.stderr.write(`bench join-leave: mcr, ${family}, ${s.rounds} joins and leaves (~${Math.round((s.rounds * (JOIN_LEAVE_HOLD_MS + JOIN_LEAVE_QUIET_MS)) / 1000)} s)\n`);
    try {
      const rounds: JoinLeaveRound[] = await measureJoinLeave({ family, rounds: s.rounds, ratePps: JOIN_LEAVE_RATE_PPS, onProgress: (l) => process.stderr.write(`bench join-leave: ${l}\n`) });
      rows.push({ relay: 'mcr', family, setup, joinMs: delayFigures(rounds.map((r) => r.joinMs)), leaveMs: delayFigures(rounds.map((r) => r.leaveMs)), rounds });
    } catch (err) {
      result.notes.push(`mcr, ${family}: ${(err as Error).message.split('\n')[0]}`);
      rows.push({ relay: 'mcr', family, setup, unavailable: `the run failed: ${(err as Error).message.split('\n')[0]}` });
    }
    rows.push({ relay: 'igmpproxy', family, setup: 'igmpproxy (Debian), upstream in0, downstream out0', unavailable: await igmpproxyUnavailable(family) });
  }
  const jl: JoinLeaveResult = {
    method: 'RFC 3918 4.1-4.2 on the output segment: receiver report -> first packet (join), receiver leave -> last packet (leave), seen by a passive observer (mcr-observe, kernel receive timestamps)',
    ratePps: JOIN_LEAVE_RATE_PPS,
    timers: { ...LAB_IGMP },
    rows,
  };
  result.joinLeave = jl;
  finishResult(result, clock);
  for (const r of rows) {
    process.stdout.write(`${r.relay} ${r.family}: ${r.unavailable ? `not measured: ${r.unavailable}` : `join ${describeDelays(r.joinMs)}; leave ${describeDelays(r.leaveMs)}`}\n`);
  }
  await publish(result, s);
  const mcrRows = rows.filter((r) => r.relay === 'mcr');
  return mcrRows.every((r) => r.joinMs && r.joinMs.count > 0 && r.leaveMs && r.leaveMs.count > 0) ? 0 : 1;
}
