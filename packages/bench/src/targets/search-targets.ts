// multi-stream, scaling, fanout, workers: interleaved NDR/PDR searches on test beds.
import { isMcrRelay } from '@mcr/mcr-lab';
import { loadBed, type BedLoader, type BedOptions, type OpenBed, type RelayName } from '../lab.js';
import { finishResult, makeResult, publish, startClock } from '../output.js';
import { runPoint, type PointSpec } from '../runner.js';
import { progressPrinter } from '../search/progress.js';
import type { Settings } from '../settings.js';

/** 1, 2, 4, 8 ... up to and including max. */
export function doublings(max: number): number[] {
  const out: number[] = [];
  for (let n = 1; n < max; n *= 2) out.push(n);
  out.push(max);
  return out;
}

export function pointSpecs(s: Settings): PointSpec[] {
  const base = (relay: RelayName, streams: number): BedOptions => ({
    relay,
    streams,
    ...(s.family === 'ipv6' ? { family: s.family } : {}), // IPv4 is the bed's default
    ...(isMcrRelay(relay) ? { workers: s.workers } : {}),
  });
  switch (s.target) {
    case 'scaling':
      return doublings(s.streams).map((n) => ({ label: `streams=${n}`, params: { streams: n }, bedOptions: (r) => base(r, n) }));
    case 'fanout':
      return doublings(s.outputs).map((k) => ({
        label: `outputs=${k}`,
        params: { streams: s.streams, outputs: k },
        bedOptions: (r) => ({ ...base(r, s.streams), topology: 'fanout', outputs: k }),
      }));
    case 'workers':
      return doublings(s.workers).map((w) => ({
        label: `workers=${w}`,
        params: { streams: s.streams, workers: w },
        bedOptions: (r) => ({ ...base(r, s.streams), ...(isMcrRelay(r) ? { workers: w } : {}) }),
      }));
    default:
      return [{ label: `streams=${s.streams}`, params: { streams: s.streams, workers: s.workers }, bedOptions: (r) => base(r, s.streams) }];
  }
}

/** `injected` replaces the lab's openBed (development against a stand-in). */
export async function runSearchTarget(s: Settings, cwd: string, injected?: OpenBed): Promise<number> {
  const bed: BedLoader = injected ? { openBed: injected } : await loadBed();
  if ('unavailable' in bed) {
    process.stderr.write(`bench ${s.target}: the lab is not available: ${bed.unavailable}\n`);
    return 1;
  }
  const clock = startClock();
  const result = makeResult(s, clock, cwd);
  const specs = pointSpecs(s);
  process.stderr.write(
    `bench ${s.target}: ${specs.length} point(s) x relays ${s.relays.join(',')}; ${s.rungs} rungs of ${s.trialSeconds} s trials, ` +
      `${s.floorPps}..${s.ceilingPps} pps, PDR loss <= ${s.maxLossPct} %\n`,
  );
  for (const [i, spec] of specs.entries()) {
    const prefix = specs.length > 1 ? `${spec.label} (${i + 1}/${specs.length}) ` : '';
    result.points.push(await runPoint(bed.openBed, spec, s, s.relays, result.notes, progressPrinter(process.stderr, prefix)));
  }
  finishResult(result, clock);
  await publish(result, s);
  const broken = result.points.flatMap((p) => p.relays).filter((r) => r.relay === 'mcr' && r.duplicatesTotal > 0);
  if (s.target === 'workers' && broken.length > 0) {
    process.stderr.write(`bench workers: mcr delivered duplicates (${broken.map((r) => r.duplicatesTotal).join(', ')}): fanout is broken\n`);
    return 1;
  }
  return 0;
}
