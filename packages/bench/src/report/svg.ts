// Hand-written SVG line charts (no dependency): axes, ticks, one polyline per series, a legend.
import type { Series } from './series.js';

const PALETTE = ['#1f77b4', '#2ca02c', '#d62728', '#9467bd', '#17becf', '#ff7f0e'];

export interface SvgOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  /** Draw the y = x diagonal (delivered vs offered). */
  diagonal?: boolean;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** 0, 1, 2, 2.5, 5 x 10^k steps, about `count` ticks from 0 to max. */
export function ticks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) out.push(Number(v.toFixed(10)));
  if (out[out.length - 1]! < max) out.push(Number((out[out.length - 1]! + step).toFixed(10)));
  return out;
}

export function lineChartSvg(series: Series[], o: SvgOptions): string {
  const W = o.width ?? 720;
  const H = o.height ?? 420;
  const m = { left: 70, right: 150, top: 40, bottom: 55 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const all = series.flatMap((s) => s.points);
  const xt = ticks(Math.max(1e-9, ...all.map((p) => p[0])));
  const yt = ticks(Math.max(1e-9, ...all.map((p) => p[1]), o.diagonal ? Math.max(0, ...all.map((p) => p[0])) : 0));
  const xMax = xt[xt.length - 1]!;
  const yMax = yt[yt.length - 1]!;
  const X = (x: number): number => m.left + (x / xMax) * pw;
  const Y = (y: number): number => m.top + ph - (y / yMax) * ph;
  const f = (n: number): string => n.toFixed(1);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(o.title)}</text>`);
  for (const t of xt) {
    parts.push(`<line x1="${f(X(t))}" y1="${m.top}" x2="${f(X(t))}" y2="${m.top + ph}" stroke="#eee"/>`);
    parts.push(`<text x="${f(X(t))}" y="${m.top + ph + 18}" text-anchor="middle">${t}</text>`);
  }
  for (const t of yt) {
    parts.push(`<line x1="${m.left}" y1="${f(Y(t))}" x2="${m.left + pw}" y2="${f(Y(t))}" stroke="#eee"/>`);
    parts.push(`<text x="${m.left - 8}" y="${f(Y(t) + 4)}" text-anchor="end">${t}</text>`);
  }
  parts.push(`<line x1="${m.left}" y1="${m.top + ph}" x2="${m.left + pw}" y2="${m.top + ph}" stroke="black"/>`);
  parts.push(`<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${m.top + ph}" stroke="black"/>`);
  parts.push(`<text x="${m.left + pw / 2}" y="${H - 12}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`);
  if (o.diagonal) {
    const d = Math.min(xMax, yMax);
    parts.push(`<line x1="${f(X(0))}" y1="${f(Y(0))}" x2="${f(X(d))}" y2="${f(Y(d))}" stroke="#999" stroke-dasharray="4 4"/>`);
  }
  series.forEach((s, i) => {
    const c = PALETTE[i % PALETTE.length]!;
    if (s.points.length > 0) {
      const pts = s.points.map(([x, y]) => `${f(X(x))},${f(Y(y))}`).join(' ');
      parts.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts}"/>`);
      for (const [x, y] of s.points) parts.push(`<circle cx="${f(X(x))}" cy="${f(Y(y))}" r="3" fill="${c}"/>`);
    }
    const ly = m.top + 10 + i * 20;
    parts.push(`<line x1="${m.left + pw + 15}" y1="${ly}" x2="${m.left + pw + 40}" y2="${ly}" stroke="${c}" stroke-width="2"/>`);
    parts.push(`<text x="${m.left + pw + 46}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
