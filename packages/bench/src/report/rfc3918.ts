// Text tables of the RFC 3918 targets (group capacity, first packets). Pure.
import type { FirstPacketResult, GroupCapacityResult } from '../results/schema.js';
import { kpps } from '../search/search.js';
import { describeSpread } from '../search/spread.js';
import { textTable } from './table.js';

export function renderGroupCapacity(gc: GroupCapacityResult): string {
  const relays = gc.capacity.map((c) => c.relay);
  const rows = gc.points.map((p) => [
    String(p.groups),
    ...relays.map((r) => {
      const x = p.relays.find((y) => y.relay === r);
      if (!x) return '-';
      if (x.error) return `error: ${x.error.slice(0, 40)}`;
      return `${x.pass ? 'pass' : 'FAIL'} ${x.trials.filter((t) => t.lossPct === 0).length}/${x.trials.length}, loss ${describeSpread(x.lossPct, 3, '%')}`;
    }),
  ]);
  const cap = gc.capacity.map((c) => `${c.relay} ${c.groups === null ? 'none' : c.stop === 'max' ? `>= ${c.groups}` : c.groups}`).join(', ');
  return `\nGroup capacity at ${kpps(gc.ratePps)} aggregate (zero loss in the median trial, no duplicate)\n${textTable(['groups', ...relays], rows)}capacity: ${cap}\n`;
}

export function renderFirstPacket(fp: FirstPacketResult): string {
  const rows = fp.relays.map((r) => [r.relay, String(r.rounds.length), describeSpread(r.lostPerStream, 1), describeSpread(r.maxDelayUs, 0, 'us')]);
  return `\nFirst packets of fresh streams (${fp.streams} streams, ${fp.packetsPerStream} packets each at ${fp.ratePps} pps aggregate, no priming)\n` +
    textTable(['relay', 'rounds', 'packets lost per stream (median, min-max)', 'largest delay per round'], rows);
}
