import { describe, expect, it } from 'vitest';
import { parseCli } from '../src/cli.js';
import { UsageError } from '../src/settings.js';

describe('cli', () => {
  it('parses the issue flags', () => {
    const s = parseCli(['multi-stream', '--streams=10', '--workers', '2', '--size', '512', '--trial-seconds', '1.5', '--relays', 'mcr,kernel', '--max-loss', '0.5'], '/work/main');
    expect(s).toMatchObject({ target: 'multi-stream', streams: 10, workers: 2, size: 512, trialSeconds: 1.5, relays: ['mcr', 'kernel'], maxLossPct: 0.5, prime: true });
  });

  it('uses RFC-length trials with --long', () => {
    expect(parseCli(['multi-stream', '--long'])).toMatchObject({ trialSeconds: 60, long: true });
  });

  it('rejects bad input, naming the flag', () => {
    expect(() => parseCli(['multi-stream', '--streams', 'x'])).toThrow(/^--streams: must be an integer 1..1000, got "x"/);
    expect(() => parseCli(['multi-stream', '--relays', 'mcr,vpp'])).toThrow(/^--relays: unknown relay "vpp"/);
    expect(() => parseCli(['multi-stream', '--bogus'])).toThrow(/--bogus/);
    expect(() => parseCli(['nope'])).toThrow(UsageError);
    expect(() => parseCli([])).toThrow(/^target: missing/);
    expect(parseCli(['--help'])).toBe('help');
  });
});

describe('--family', () => {
  it('defaults to ipv4, takes ipv6 on the rate searches, and names the flag otherwise', async () => {
    expect(parseCli(['multi-stream'])).toMatchObject({ family: 'ipv4' });
    expect(parseCli(['multi-stream', '--streams=10', '--family', 'ipv6'])).toMatchObject({ family: 'ipv6', streams: 10 });
    expect(parseCli(['scaling', '--family=ipv6'])).toMatchObject({ family: 'ipv6' });
    expect(() => parseCli(['multi-stream', '--family', 'ip6'])).toThrow(/^--family: must be one of ipv4 \| ipv6, got "ip6"/);
    expect(() => parseCli(['join-leave', '--family', 'ipv6'])).toThrow(/^--family applies to the multi-stream, scaling, fanout, workers targets only \(target is join-leave\)/);
    const { pointSpecs } = await import('../src/targets/search-targets.js');
    const s = parseCli(['multi-stream', '--family', 'ipv6']);
    if (s === 'help') throw new Error('unexpected');
    expect(pointSpecs(s)[0]!.bedOptions('socat')).toMatchObject({ relay: 'socat', family: 'ipv6', streams: 10 });
  });
});

describe('gate flags', () => {
  it('are refused outside the gate, and read inside it', async () => {
    const { normalizeSettings } = await import('../src/settings.js');
    expect(() => normalizeSettings('multi-stream', { 'inject-regression': '25' }, '/tmp')).toThrow(/applies to the gate target only/);
    expect(() => normalizeSettings('multi-stream', { tolerance: '5' }, '/tmp')).toThrow(/applies to the gate target only/);
    const g = normalizeSettings('gate', { 'inject-regression': '25', 'candidate-bin': '/x/bin/mcr.js' }, '/tmp');
    expect(g).toMatchObject({ injectRegressionPct: 25, candidateBin: '/x/bin/mcr.js', pairs: 8, fixedRatePps: 50_000, highRatePps: 600_000, streams: 4, trialSeconds: 2 });
  });
});

describe('latency flags', () => {
  it('are read for the latency target and refused elsewhere, naming the flag', () => {
    const s = parseCli(['latency', '--repeats', '1', '--trial-seconds', '1', '--rates', 'bulk,20k', '--no-tcp-noise', '--ndr-from', 'results/x.json'], '/work/main');
    expect(s).toMatchObject({ target: 'latency', repeats: 1, trialSeconds: 1, latencyRungs: ['20k', 'bulk'], tcpNoise: false });
    // Relative to the workspace root, since nx runs the bench in packages/bench.
    expect((s as { ndrFrom: string }).ndrFrom).toMatch(/\/results\/x\.json$/);
    expect(() => parseCli(['latency', '--rates', '20k,90k'])).toThrow(/^--rates: unknown rate "90k"/);
    expect(() => parseCli(['multi-stream', '--ndr-from', 'x.json'])).toThrow(/--ndr-from applies to the latency target only/);
    expect(() => parseCli(['multi-stream', '--no-tcp-noise'])).toThrow(/--no-tcp-noise applies to the latency target only/);
  });

  it('are in --help', async () => {
    const { HELP } = await import('../src/cli.js');
    for (const word of ['latency ', '--ndr-from', '--no-tcp-noise', '--rates']) expect(HELP).toContain(word);
  });
});

describe('usage errors', () => {
  it('exit 2 with the flag, the expectation, the value and the help hint', async () => {
    const { execFile } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(process.execPath, [cli, 'multi-stream', '--streams', '0'], (err, _stdout, stderr) => resolve({ code: err ? (err as { code: number }).code : 0, stderr }));
    });
    expect(result).toEqual({ code: 2, stderr: 'bench: --streams: must be an integer 1..1000, got 0\nrun with --help for usage\n' });
  });
});
