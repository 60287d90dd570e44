// The seeded join/leave schedule of the listener scenarios: each receiver namespace alternates off and
// on spells of random length, joining one random stream's output group for each on spell. Pure: the
// same seed gives the same schedule (printed, and replayed with --seed).

/** One membership: receiver `slot` of output segment `segment` listens to `stream` from joinAtMs to leaveAtMs (from the schedule's start). */
export interface ListenerSpell {
  segment: number;
  slot: number;
  stream: number;
  joinAtMs: number;
  leaveAtMs: number;
}

export interface ScheduleShape {
  segments: number;
  receivers: number;
  streams: number;
  /** Every spell ends by then. */
  seconds: number;
}

/** Spell and pause lengths, ms: on spells outlast the join bound many times; pauses outlast the leave bound. */
export const SPELL_MS = { firstOff: [300, 3000], on: [2000, 6000], off: [800, 4000] } as const;

const between = (random: () => number, [lo, hi]: readonly [number, number]) => Math.round(lo + random() * (hi - lo));

export function listenerSchedule(random: () => number, shape: ScheduleShape): ListenerSpell[] {
  const end = shape.seconds * 1000;
  const spells: ListenerSpell[] = [];
  for (let segment = 0; segment < shape.segments; segment++) {
    for (let slot = 0; slot < shape.receivers; slot++) {
      let t = between(random, SPELL_MS.firstOff);
      for (;;) {
        const on = between(random, SPELL_MS.on);
        const stream = Math.floor(random() * shape.streams);
        if (t + on > end) break;
        spells.push({ segment, slot, stream, joinAtMs: t, leaveAtMs: t + on });
        t += on + between(random, SPELL_MS.off);
      }
    }
  }
  return spells.sort((a, b) => a.joinAtMs - b.joinAtMs);
}
