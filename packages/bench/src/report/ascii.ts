// Terminal charts with asciichart: series are resampled on a common x grid (asciichart plots by index).
import asciichart from 'asciichart';
import { interpolate, type Series } from './series.js';

const COLORS = [asciichart.blue, asciichart.green, asciichart.red, asciichart.magenta, asciichart.cyan, asciichart.yellow];

export interface AsciiOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  color?: boolean;
}

export function asciiChart(series: Series[], o: AsciiOptions): string {
  const usable = series.filter((s) => s.points.length > 0);
  if (usable.length === 0) return `${o.title}: no data\n`;
  const width = o.width ?? 60;
  const xMax = Math.max(...usable.flatMap((s) => s.points.map((p) => p[0])));
  const xMin = Math.min(...(usable.some((s) => s.fromOrigin) ? [0] : []), ...usable.flatMap((s) => s.points.map((p) => p[0])));
  const grid = Array.from({ length: width }, (_, i) => xMin + ((xMax - xMin) * i) / (width - 1));
  const data = usable.map((s) => grid.map((x) => interpolate(s.points, x, s.fromOrigin ?? false)));
  const yMax = Math.max(1, ...data.flat());
  const color = o.color ?? false;
  const chart = asciichart.plot(data, {
    height: o.height ?? 12,
    min: 0,
    max: yMax,
    format: (v: number) => (Math.abs(v) < 0.5 ? 0 : v).toFixed(0).padStart(7),
    ...(color ? { colors: usable.map((_, i) => COLORS[i % COLORS.length]!) } : {}),
  });
  const legend = usable
    .map((s, i) => (color ? `${COLORS[i % COLORS.length]}──${asciichart.reset} ${s.name}` : `${s.name} (series ${i + 1})`))
    .concat(' (a line is held flat beyond its last trial)')
    .join('   ');
  const axis = `${' '.repeat(9)}${xMin.toFixed(0)}${' '.repeat(Math.max(1, width - 12))}${xMax.toFixed(0)}  ${o.xLabel}`;
  return `${o.title}   [y: ${o.yLabel}]\n${chart}\n${axis}\n${legend}\n`;
}
