// bench:latency's tables (run summary, terminal, docs section) and the docs section's generation.
import { describe, expect, it } from 'vitest';
import { summariseLatency, tcpNoiseSummary, type LatencyResult } from '../../src/latency/figures.js';
import { renderLatencyMarkdown, renderLatencyText } from '../../src/latency/report.js';
import { renderSection, sectionBegin, sectionEnd, replaceBlock } from '../../src/readme/readme.js';
import type { BenchResult } from '../../src/results/schema.js';
import { cell, trial } from './fixtures.js';

function latency(over: Partial<Pick<LatencyResult, 'tcpNoise'>> = {}): LatencyResult {
  const mcr50 = [trial({ rate: 50_000, p50: 40, p99: 150, p999: 400, relayCpu: 4 }), trial({ rate: 50_000, p50: 44, p99: 170, p999: 500, relayCpu: 5 })];
  return summariseLatency(
    {
      streams: 1,
      size: 1000,
      repeats: 2,
      trialSeconds: 3,
      topology: 'chain',
      ndrSource: { kind: 'search' },
      ndr: [
        { relay: 'mcr', pps: 125_000, lowerBound: false },
        { relay: 'socat', pps: 8_800, lowerBound: false },
        { relay: 'kernel', pps: 115_000, lowerBound: true },
      ],
      cells: [
        cell('20k', 'mcr', [trial({ p50: 30 }), trial({ p50: 34 })]),
        cell('20k', 'kernel', [trial({ p50: 20, relayCpu: null }), trial({ p50: 20, relayCpu: null })]),
        cell('50k', 'mcr', mcr50),
        cell('50k', 'kernel', [trial({ rate: 50_000, p50: 21, p99: 56, relayCpu: null })]),
        cell('50k', 'socat', [trial({ rate: 50_000, relayCpu: 14, lossPct: 12 })]),
        cell('half-ndr', 'mcr', [trial({ rate: 62_500 })]),
        cell('bulk', 'mcr', [trial({ rate: 150_000, achieved: 118_000, relayCpu: 3 })]),
        cell('bulk', 'mcr-fixed', [trial({ rate: 150_000, achieved: 119_000, relayCpu: 2.5 })]),
      ],
      tcpNoise:
        over.tcpNoise ??
        tcpNoiseSummary([
          { flow: false, record: trial({ relayCpu: 4 }), tcpBitsPerSecond: null, framesSeen: 60_050, forwarded: 60_050, inputFrames: 60_050 },
          { flow: true, record: trial({ relayCpu: 4.2 }), tcpBitsPerSecond: 1.9e9, framesSeen: 60_050, forwarded: 60_050, inputFrames: 240_000 },
        ]),
    },
    0.1,
  );
}

describe('latency tables', () => {
  it('show every cell with p50, p99 and p99.9 as medians with min-max, relay and machine CPU, loss', () => {
    const md = renderLatencyMarkdown(latency());
    expect(md).toContain('| rate | relay | offered | p50 | p99 | p99.9 | relay CPU/pkt | machine CPU/pkt | loss | trials |');
    expect(md).toContain('| 50 kpps | mcr | 50.0 kpps | 42 us (40-44) | 160 us (150-170) | 450 us (400-500) | 4.50 us (4.00-5.00) | 15.00 us | 0.000 % | 2 |');
    expect(md).toContain('| 20 kpps | kernel (mfc) | 20.0 kpps | 20 us | 60 us | 100 us | n/a (softirq) |');
    expect(md).toContain('each relay at half its own NDR (NDR mcr 125.0 kpps, socat 8.8 kpps, kernel >= 115.0 kpps, from a short search in this run)');
    expect(md).toContain('2 interleaved rounds of 3 s trials');
  });

  it('print the targets with their verdicts, and why a comparison is weak', () => {
    const md = renderLatencyMarkdown(latency());
    expect(md).toContain('| p50 <= 3x kernel at 20 kpps | mcr/kernel 1.60x | <= 3x | met | - |');
    expect(md).toContain('| p50 <= 3x kernel at 50 kpps | mcr/kernel 2.00x | <= 3x | met | - |');
    expect(md).toContain('| relay CPU per packet <= 0.35x socat at 50 kpps | mcr/socat 0.32x | <= 0.35x | met | socat lost 12.00 % (median) |');
    const text = renderLatencyText(latency());
    expect(text).toMatch(/p99 <= 5x kernel at 50 kpps\s+mcr\/kernel 2\.86x\s+<= 5x\s+met/);
    // p99 at 20 kpps: 60 / 60.
    expect(text).toMatch(/p99 <= 5x kernel at 20 kpps\s+mcr\/kernel 1\.00x/);
  });

  it('compare mcr\'s default with the fixed window at the bulk rate, saying when the sender could not reach it', () => {
    const md = renderLatencyMarkdown(latency());
    expect(md).toContain('### mcr at 150.0 kpps: default against a fixed window');
    expect(md).toContain('| default (adaptive) | 150.0 kpps (achieved 118.0 kpps, sender-bound 1/1) | 3.00 us |');
    expect(md).toContain('| coalesceMicros 300 | 150.0 kpps (achieved 119.0 kpps, sender-bound 1/1) | 2.50 us |');
    expect(md.indexOf('| default (adaptive) |')).toBeLessThan(md.indexOf('| coalesceMicros 300 |'));
    expect(md).toContain('| 150 kpps | mcr default / fixed 300 us | relay CPU/pkt | 1.20x |');
    expect(md).toContain('relay CPU per packet default/fixed 1.20x');
    expect(md).toContain('The sender could not reach 150.0 kpps in every trial (sender-bound)');
  });

  it('show the TCP-noise comparison, and say that the filtered frames are not in framesSeen', () => {
    const md = renderLatencyMarkdown(latency());
    expect(md).toContain('| with (1) | 1.90 Gbit/s | 20.0 kpps | 4.20 us | 15.00 us | 0.000 % | 60050 | 240000 |');
    expect(md).toContain('Relay CPU per packet with the flow: +5.0 %');
    expect(md).toContain('not counted in `framesSeen`');
    expect(md).toContain('Every flow carried at least 1 Gbit/s.');
    expect(renderLatencyMarkdown(latency({ tcpNoise: { skipped: 'iperf3 is missing' } }))).toContain('| iperf3 is missing |');
  });

  it('nest their headings at the level asked for', () => {
    expect(renderLatencyMarkdown(latency(), 4)).toMatch(/^#### Added latency and CPU per packet by rate$/m);
  });
});

describe('docs latency section', () => {
  const result = { environment: { gitCommit: 'abcdef0123', gitDirty: false }, startedAt: '2026-11-30T10:00:00.000Z', latency: latency() } as unknown as BenchResult;

  it('is generated between its markers from the named run file, with its commit', () => {
    const s = renderSection({ name: 'latency', file: 'results/runs/x-latency.json' }, result);
    expect(s.startsWith(sectionBegin('latency'))).toBe(true);
    expect(s.endsWith(sectionEnd('latency'))).toBe(true);
    expect(s).toContain('Run file: [x-latency.json](results/runs/x-latency.json) (abcdef0), 2026-11-30.');
    expect(s).toContain('### Latency targets');
    const readme = `before\n${sectionBegin('latency')}\nold\n${sectionEnd('latency')}\nafter\n`;
    expect(replaceBlock(readme, s, sectionBegin('latency'), sectionEnd('latency'))).toBe(`before\n${s}\nafter\n`);
  });

  it('says how to fill it while no run file is named, and refuses a file without a latency result', () => {
    const s = renderSection({ name: 'latency', file: null }, null);
    expect(s).toContain('Not measured yet');
    expect(s).toContain('npx nx run bench:latency');
    expect(s).not.toMatch(/\d+ us/);
    expect(() => renderSection({ name: 'latency', file: 'results/runs/y.json' }, { ...result, latency: undefined } as BenchResult)).toThrow(/wants a latency result/);
  });
});
