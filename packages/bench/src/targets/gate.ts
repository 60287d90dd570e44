// bench:gate: a short interleaved comparison, a confirmation trial of mcr at the gated rate, and
// the decision against the committed results/baseline.json. Exit 0 pass, 1 regression, 2 no baseline.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compareWithBaseline, renderGate } from '../gate/compare.js';
import { loadBed, type BedLoader, type OpenBed, type RelayName } from '../lab.js';
import { finishResult, makeResult, publish, startClock } from '../output.js';
import { parseResult, type GateSettings } from '../results/schema.js';
import { runPoint } from '../runner.js';
import { progressPrinter } from '../search/progress.js';
import { verdict } from '../search/verdict.js';
import { pickFigures, type RelaySearch } from '../search/search.js';
import type { Settings } from '../settings.js';

/**
 * Allowed drop of a speed ratio for a new baseline. On the shared 2-core machine mcr/socat moved
 * between 4.0x and 12.4x in three consecutive single searches; best-of-2 and 40 % keep the gate
 * for real regressions (e.g. mcr at half speed), not for scheduling noise.
 */
export const DEFAULT_TOLERANCE_PCT = 40;

/** The gated rate for a new baseline: half of mcr's lowest PDR over the repeats, at least the floor. */
export function gatedRateFor(mcrPdrPps: number | null, floorPps: number): number {
  return Math.max(floorPps, Math.round(((mcrPdrPps ?? floorPps) * 0.5) / 1000) * 1000);
}

/** `injected` replaces the lab's openBed (development against a stand-in). */
export async function runGate(s: Settings, cwd: string, injected?: OpenBed): Promise<number> {
  const baselineFile = join(s.outDir, 'baseline.json');
  let gateSettings: GateSettings | undefined;
  let baselineText: string | undefined;
  if (existsSync(baselineFile) && !s.updateBaseline) {
    baselineText = await readFile(baselineFile, 'utf8');
    const b = parseResult(baselineText, baselineFile);
    if (!b.gate) throw new Error(`${baselineFile}: has no "gate" section (write it with nx run bench:gate --update-baseline)`);
    gateSettings = { ...b.gate.settings, tolerancePct: s.tolerancePct ?? b.gate.settings.tolerancePct };
  } else if (!s.updateBaseline) {
    process.stderr.write(`bench gate: ${baselineFile} does not exist; create it with: npx nx run bench:gate --update-baseline\n`);
    return 2;
  }
  const bed: BedLoader = injected ? { openBed: injected } : await loadBed();
  if ('unavailable' in bed) {
    process.stderr.write(`bench gate: the lab is not available: ${bed.unavailable}\n`);
    return 1;
  }
  const relays: RelayName[] = s.relays.includes('mcr') ? s.relays : ['mcr', ...s.relays];
  const clock = startClock();
  const result = makeResult(s, clock, cwd);
  let settings: GateSettings | undefined = gateSettings;
  const confirm: RelaySearch<RelayName> = { relay: 'mcr', ndr: null, pdr: null, stop: 'rungs', ndrStop: 'rungs', duplicatesTotal: 0, trials: [] };
  for (let rep = 1; rep <= s.repeat; rep++) {
    const last = rep === s.repeat;
    const point = await runPoint(
      bed.openBed,
      {
        label: s.repeat > 1 ? `streams=${s.streams} #${rep}` : `streams=${s.streams}`,
        params: { streams: s.streams, workers: s.workers },
        bedOptions: (relay) => ({ relay, streams: s.streams, ...(relay === 'mcr' ? { workers: s.workers } : {}) }),
      },
      s,
      relays,
      result.notes,
      progressPrinter(process.stderr, s.repeat > 1 ? `gate #${rep} ` : 'gate '),
      // The confirmation trial runs on the same mcr bed, after the search.
      async (beds, searched) => {
        if (!last) return;
        const pdrs = [...result.points.flatMap((p) => p.relays), ...searched].filter((r) => r.relay === 'mcr').map((r) => r.pdr?.pps ?? 0);
        const mcrPdr = pdrs.length ? Math.min(...pdrs) || null : null;
        settings ??= { gatedRatePps: gatedRateFor(mcrPdr, s.floorPps), maxLossPct: s.maxLossPct, tolerancePct: s.tolerancePct ?? DEFAULT_TOLERANCE_PCT };
        const mcrBed = beds.get('mcr');
        if (!mcrBed) {
          confirm.error = 'mcr test bed not open';
          confirm.stop = 'error';
          return;
        }
        process.stderr.write(`gate: confirmation trial, mcr @ ${settings.gatedRatePps} pps for ${s.trialSeconds} s\n`);
        try {
          const t = pickFigures(await mcrBed.trial({ rate: settings.gatedRatePps, durationSec: s.trialSeconds, size: s.size, prime: s.prime }));
          confirm.trials.push({ ...t, rung: 0, targetPps: settings.gatedRatePps, verdict: verdict(t, settings.maxLossPct, s.senderBoundRatio) });
          confirm.duplicatesTotal = t.duplicates + t.corrupt + t.foreign;
        } catch (err) {
          confirm.error = (err as Error).message;
          confirm.stop = 'error';
        }
      },
    );
    result.points.push(point);
  }
  settings ??= { gatedRatePps: gatedRateFor(null, s.floorPps), maxLossPct: s.maxLossPct, tolerancePct: s.tolerancePct ?? DEFAULT_TOLERANCE_PCT };
  result.gate = { settings, confirm };
  if (baselineText !== undefined) {
    const baseline = parseResult(baselineText, baselineFile);
    result.gate.outcome = compareWithBaseline(result, baseline, 'results/baseline.json', settings);
  }
  finishResult(result, clock);
  await publish(result, s);
  if (s.updateBaseline) {
    const { outcome: _drop, ...gate } = result.gate;
    await writeFile(baselineFile, JSON.stringify({ ...result, gate }, null, 2) + '\n');
    process.stdout.write(`gate: wrote ${baselineFile} (gated rate ${settings.gatedRatePps} pps, tolerance ${settings.tolerancePct} %)\n`);
    return 0;
  }
  const outcome = result.gate.outcome!;
  process.stdout.write('\n' + renderGate(outcome));
  return outcome.pass ? 0 : 1;
}
