// bench:first-packet (RFC 3918, join and forwarding delay at stream start): what happens to the first
// packets of streams a relay has never forwarded. Each round opens a fresh bed per relay (the groups
// configured, joined or routed as (*,G), but no packet through yet), sends PACKETS_PER_STREAM packets
// per stream at --rate without priming, and counts per stream the packets lost (at this low rate,
// loss at a fresh start: kernel routing drops packets until its (S,G) entry exists; mcr should not)
// and the largest one-way delay among the first packets (packets held while the path is set up).
import { isMcrRelay } from '@mcr/mcr-lab';
import { openBedOrExplain, type OpenBed, type RelayName } from '../lab.js';
import { finishResult, makeResult, publish, startClock } from '../output.js';
import { renderFirstPacket } from '../report/rfc3918.js';
import type { FirstPacketResult } from '../results/schema.js';
import { trackBed, untrackBed } from '../runner.js';
import { pickFigures } from '../search/search.js';
import { spread } from '../search/spread.js';
import type { Settings } from '../settings.js';

export const PACKETS_PER_STREAM = 100;

export async function runFirstPacket(s: Settings, cwd: string, injected?: OpenBed): Promise<number> {
  const openBed = await openBedOrExplain('first-packet', injected);
  if (!openBed) return 1;
  const rate = s.ratePps!;
  const clock = startClock();
  const result = makeResult(s, clock, cwd);
  const fp: FirstPacketResult = { ratePps: rate, streams: s.streams, packetsPerStream: PACKETS_PER_STREAM, rounds: s.rounds, relays: s.relays.map((relay) => ({ relay, rounds: [], lostPerStream: null, maxDelayUs: null })) };
  result.firstPacket = fp;
  process.stderr.write(`bench first-packet: --streams ${s.streams} --rate ${rate} --rounds ${s.rounds}, ${PACKETS_PER_STREAM} packets per stream from a fresh relay, relays ${s.relays.join(',')}\n`);
  for (let round = 1; round <= s.rounds; round++) {
    const order: RelayName[] = [...s.relays.slice((round - 1) % s.relays.length), ...s.relays.slice(0, (round - 1) % s.relays.length)];
    for (const relay of order) {
      const entry = fp.relays.find((r) => r.relay === relay)!;
      try {
        const bed = await openBed({ relay, streams: s.streams, ...(isMcrRelay(relay) ? { workers: s.workers } : {}) });
        trackBed(bed);
        try {
          const t = await bed.trial({ rate, count: PACKETS_PER_STREAM, size: s.size, prime: false, idleMs: 500 });
          entry.rounds.push({
            round,
            lostPerStream: t.perStream.map((x) => x.missing),
            maxDelayUs: t.latencyUs.max,
            p50Us: t.latencyUs.p50,
            figures: pickFigures(t),
          });
          process.stderr.write(`round ${round} ${relay}: lost ${t.missing} of ${t.sent} (per stream max ${Math.max(...t.perStream.map((x) => x.missing))}), max delay ${t.latencyUs.max.toFixed(0)} us\n`);
        } finally {
          await bed.close();
          untrackBed(bed);
        }
      } catch (err) {
        result.notes.push(`round ${round} ${relay}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
  }
  for (const r of fp.relays) {
    r.lostPerStream = spread(r.rounds.flatMap((x) => x.lostPerStream));
    r.maxDelayUs = spread(r.rounds.map((x) => x.maxDelayUs));
  }
  finishResult(result, clock);
  process.stdout.write(renderFirstPacket(fp));
  await publish(result, s);
  return fp.relays.every((r) => r.rounds.length > 0) ? 0 : 1;
}
