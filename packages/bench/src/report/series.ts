// Chart data derived from a run. Pure.
import type { RunPoint } from '../results/schema.js';

export interface Series {
  name: string;
  /** [x, y] in ascending x. */
  points: [number, number][];
  /** The curve starts at (0, 0) (delivered vs offered); false for sweeps over a count. */
  fromOrigin?: boolean;
}

/** Delivered vs offered rate (kpps) per relay, from every trial of one search point. */
export function deliveredVsOffered(point: RunPoint): Series[] {
  return point.relays.map((r) => ({
    name: r.relay,
    fromOrigin: true,
    points: r.trials
      .map((t): [number, number] => {
        const offered = Math.min(t.offeredPps, t.achievedPps);
        const delivered = offered * (1 - Math.min(100, Math.max(0, t.lossPct)) / 100);
        return [offered / 1000, delivered / 1000];
      })
      .sort((a, b) => a[0] - b[0]),
  }));
}

/** PDR (kpps) vs the swept parameter, per relay: throughput vs stream count, outputs or workers. */
export function sweep(points: RunPoint[], param: 'streams' | 'outputs' | 'workers'): Series[] {
  const names = [...new Set(points.flatMap((p) => p.relays.map((r) => r.relay)))];
  return names.map((name) => ({
    name,
    points: points
      .map((p): [number, number] | null => {
        const r = p.relays.find((x) => x.relay === name);
        const x = p.params[param];
        return r?.pdr && x !== undefined ? [x, r.pdr.pps / 1000] : null;
      })
      .filter((v): v is [number, number] => v !== null)
      .sort((a, b) => a[0] - b[0]),
  }));
}

/** Linear interpolation of a series at x, held flat outside its range (from (0, 0) with fromOrigin). */
export function interpolate(points: [number, number][], x: number, fromOrigin = true): number {
  if (points.length === 0) return 0;
  const pts: [number, number][] = fromOrigin && points[0]![0] > 0 ? [[0, 0], ...points] : points;
  if (x <= pts[0]![0]) return pts[0]![1];
  for (let i = 1; i < pts.length; i++) {
    const [x0, y0] = pts[i - 1]!;
    const [x1, y1] = pts[i]!;
    if (x <= x1) return x1 === x0 ? y1 : y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
  }
  return pts[pts.length - 1]![1];
}
