// The join-leave table (RFC 3918 group join and leave delay): one row per relay and family. Pure.
import type { DelayFigures, JoinLeaveResult } from '../results/schema.js';
import { markdownTable } from './table.js';

const figure = (d: DelayFigures | undefined): string => (!d || d.median === null ? 'n/a' : `${d.median} ms (p99 ${d.p99}, ${d.min}-${d.max})`);

export function renderJoinLeaveMarkdown(j: JoinLeaveResult): string {
  const rows = j.rows.map((r) => [
    r.relay,
    r.family === 'ipv6' ? 'IPv6 (MLD)' : 'IPv4 (IGMP)',
    r.unavailable ? `not measured: ${r.unavailable}` : figure(r.joinMs),
    r.unavailable ? '' : figure(r.leaveMs),
    r.unavailable ? '' : String(r.joinMs?.count ?? 0),
  ]);
  const t = j.timers;
  return (
    markdownTable(['relay', 'family', 'join delay: median (p99, min-max)', 'leave delay: median (p99, min-max)', 'rounds'], rows) +
    `\nOne stream at ${j.ratePps} pps; ${j.method}. mcr's timers: query interval ${t.queryInterval} s, query response ${t.queryResponseInterval} s, ` +
    `last member query interval ${t.lastMemberQueryInterval} s, robustness ${t.robustness}: a leave takes at least ${(t.robustness ?? 0) * (t.lastMemberQueryInterval ?? 0) * 1000} ms (last member queries).\n`
  );
}
