import { describe, expect, it } from 'vitest';
import { asciiChart } from '../../src/report/ascii.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { deliveredVsOffered, interpolate, sweep } from '../../src/report/series.js';
import { lineChartSvg, ticks } from '../../src/report/svg.js';
import { renderPointText } from '../../src/report/table.js';
import { NORMAL, point, result } from '../fixtures.js';
import { unavailableSearch } from '../../src/search/search.js';

describe('report', () => {
  it('prints one side-by-side table with ratios', async () => {
    const text = renderPointText(await point(NORMAL), 5_000);
    const lines = text.split('\n');
    expect(lines[1]).toMatch(/^relay\s+NDR \(zero-loss trials\)\s+NDR \/ direct\s+PDR \(passing trials\)\s+loss @PDR\s+p50 @PDR\s+p99 @PDR\s+relay CPU\/pkt @PDR\s+machine CPU\/pkt @PDR\s+duplicates\s+trials\s+stop$/);
    expect(text).toMatch(/mcr\s+\S+ kpps \(3\/3\)/);
    expect(lines.filter((l) => /^(mcr|socat|kernel)\s/.test(l))).toHaveLength(3);
    expect(text).toMatch(/mcr\/socat PDR: \d+\.\d\dx/);
    expect(text).toMatch(/mcr\/kernel \(mfc\) PDR: 0\.\d\dx/);
  });

  it('titles an IPv6 run\'s tables IPv6, and an IPv4 run\'s as before', async () => {
    const p = await point(NORMAL);
    expect(renderPointText(p, 5_000, 'ipv6').split('\n')[0]).toBe(`${p.label}, IPv6`);
    expect(renderPointText(p, 5_000, 'ipv4').split('\n')[0]).toBe(p.label);
    const r = result([p]);
    r.settings.family = 'ipv6';
    const md = renderMarkdown(r, 'stem').text;
    expect(md).toContain('# Bench run: multi-stream, IPv6 (');
    expect(md).toContain(`### ${p.label}, IPv6`);
    expect(md).toContain('Settings: IPv6 streams');
  });

  it('shows a relay that failed as an error and one that cannot run here as unavailable, never as a rate', async () => {
    const p = await point(NORMAL);
    const broken = { ...p.relays[0]!, relay: 'socat' as const, ndr: null, pdr: null, stop: 'error' as const, ndrStop: 'error' as const, trials: [], error: 'socat delivered nothing of 2000 packets sent (after priming): the relay is broken here, not slow' };
    const missing = unavailableSearch('kernel-mfc', 'kernel (mfc): this kernel has no IPv4 multicast routing (CONFIG_IP_MROUTE)');
    const text = renderPointText({ ...p, relays: [broken, missing] }, 5_000);
    const [socat, mfc] = text.split('\n').slice(3);
    expect(socat).toMatch(/^socat\s+error\s+-\s+error\s/);
    expect(socat).toContain('error: socat delivered nothing');
    expect(socat).not.toMatch(/kpps/);
    expect(mfc).toMatch(/^kernel \(mfc\)\s+unavailable: kernel \(mfc\): this kernel has no IPv4 multicast routing \(CONFIG_IP_MROUTE\)(\s+-)+$/);
  });

  it('marks sender-bound figures', async () => {
    const text = renderPointText(await point({ mcr: { ndr: 1e7, pdr: 2e7, senderMax: 300_000 } }));
    expect(text).toContain('>= 300.0 kpps (sender-bound)');
  });

  it('draws terminal and SVG charts', async () => {
    const p = await point(NORMAL);
    const series = deliveredVsOffered(p);
    expect(series.map((s) => s.name)).toEqual(['mcr', 'socat', 'kernel']);
    const ascii = asciiChart(series, { title: 'Delivered vs offered', xLabel: 'offered kpps', yLabel: 'kpps' });
    expect(ascii.split('\n').length).toBeGreaterThan(12);
    const svg = lineChartSvg(series, { title: 'T <&>', xLabel: 'x', yLabel: 'y', diagonal: true });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('T &lt;&amp;&gt;');
    expect(svg.match(/<polyline/g)).toHaveLength(3);
    expect(ticks(237)).toEqual([0, 50, 100, 150, 200, 250]);
    expect(interpolate([[10, 10], [20, 30]], 15)).toBe(20);
    expect(interpolate([[10, 10]], 5)).toBe(5);
  });

  it('writes a Markdown summary that links its SVG charts, with a sweep for scaling', async () => {
    const pts = [await point(NORMAL, 'streams=1', { streams: 1 }), await point(NORMAL, 'streams=2', { streams: 2 })];
    const r = result(pts, 'scaling');
    expect(sweep(pts, 'streams')[0]!.points.map((p) => p[0])).toEqual([1, 2]);
    const md = renderMarkdown(r, 'stem');
    expect(md.text).toContain('# Bench run: scaling');
    expect(md.text).toContain('## Sweep');
    expect(md.text).toContain('![Throughput (PDR) vs streams](stem-sweep.svg)');
    expect(md.charts.map((c) => c.file)).toEqual(['stem-sweep.svg', 'stem-delivered-0.svg', 'stem-delivered-1.svg']);
  });
});
