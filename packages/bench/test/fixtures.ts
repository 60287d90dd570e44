// Crafted results for report, schema and gate tests, built from deterministic searches.
import type { RelayName } from '../src/lab.js';
import { mcrRatios } from '../src/search/ratios.js';
import { confirmRates, searchRates, type SearchConfig } from '../src/search/search.js';
import { SCHEMA, type BenchResult, type RunPoint } from '../src/results/schema.js';
import { normalizeSettings } from '../src/settings.js';
import { modelTrial, type Model } from './helpers.js';

export const CFG: SearchConfig = { floorPps: 5_000, ceilingPps: 600_000, rungs: 8, resolution: 1.05, maxLossPct: 0.1, senderBoundRatio: 0.97 };

export async function point(models: Partial<Record<RelayName, Model>>, label = 'streams=10', params: RunPoint['params'] = { streams: 10 }): Promise<RunPoint> {
  const names = Object.keys(models) as RelayName[];
  const trial = async (r: RelayName, rate: number) => modelTrial(models[r]!)(rate);
  const relays = await searchRates(names, trial, CFG);
  await confirmRates(relays, trial, CFG, 3);
  return { label, params, relays, ratios: mcrRatios(relays) };
}

export function result(points: RunPoint[], target: BenchResult['target'] = 'multi-stream'): BenchResult {
  const { outDir: _o, json: _j, updateBaseline: _u, check: _c, ...settings } = normalizeSettings(target, {}, '/tmp');
  return {
    schema: SCHEMA,
    target,
    startedAt: '2026-01-02T03:04:05.678Z',
    finishedAt: '2026-01-02T03:06:05.678Z',
    durationSec: 120,
    environment: { hostname: 'h', kernel: '6.1.0', os: 'Linux', cpuModel: 'cpu', cpuCount: 2, memoryBytes: 1, node: 'v20.19.0', gitCommit: 'abc', gitDirty: false },
    settings,
    points,
    notes: [],
  };
}

export const NORMAL: Partial<Record<RelayName, Model>> = {
  mcr: { ndr: 200_000, pdr: 240_000 },
  socat: { ndr: 40_000, pdr: 60_000 },
  kernel: { ndr: 280_000, pdr: 300_000 },
};
