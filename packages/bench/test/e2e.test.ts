// One real run through the lab: multi-stream, 2 streams, mcr only, short trials. Skips when the
// lab's openBed is not available (not built yet) or we are not root.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { bedAvailable } from '../src/lab.js';
import { parseResult } from '../src/results/schema.js';

const available = await bedAvailable();
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

describe('multi-stream end to end', () => {
  it.skipIf(!available)('searches mcr on 2 streams and writes a result', async () => {
    const out = await mkdtemp(join(tmpdir(), 'bench-e2e-'));
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [cli, 'multi-stream', '--streams', '2', '--relays', 'mcr,kernel', '--trial-seconds', '0.5', '--rungs', '3', '--out', out, '--json'], { maxBuffer: 64 << 20, timeout: 150_000 });
      const r = parseResult(stdout, 'stdout');
      expect(r.points[0]!.relays[0]!.relay).toBe('mcr');
      expect(r.points[0]!.relays[0]!.trials.length).toBeGreaterThan(0);
      expect(r.points[0]!.relays[0]!.duplicatesTotal).toBe(0);
      // Whole-machine CPU for every relay (the kernel's too), the relay's own beside it (not the kernel's).
      const [mcr, kernel] = r.points[0]!.relays;
      expect(mcr!.machineCpuPerPacketUs).toBeGreaterThan(0);
      expect(mcr!.relayCpuPerPacketUs).toBeGreaterThan(0);
      expect(kernel!.machineCpuPerPacketUs).toBeGreaterThan(0);
      expect(kernel!.relayCpuPerPacketUs).toBeNull();
      // Figures with their spread: at least 3 trials at the PDR rate.
      expect(mcr!.pdr!.atRate!.trials).toBeGreaterThanOrEqual(3);
      expect(parseResult(await readFile(join(out, 'latest-multi-stream.json'), 'utf8'))).toEqual(r);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

describe('latency end to end', () => {
  it.skipIf(!available)('measures mcr and kernel at 20 kpps, half their NDR from a committed file, and mcr against its fixed window', async () => {
    const out = await mkdtemp(join(tmpdir(), 'bench-e2e-'));
    try {
      const ndrFile = 'results/runs/2026-11-29T13-50-56-891Z-multi-stream.json';
      const args = [cli, 'latency', '--relays', 'mcr,kernel', '--repeats', '1', '--trial-seconds', '0.5', '--rates', '20k,half-ndr,bulk', '--ndr-from', ndrFile, '--no-tcp-noise', '--out', out, '--json'];
      const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 64 << 20, timeout: 150_000 });
      const l = parseResult(stdout, 'stdout').latency!;
      expect(l.ndrSource).toEqual({ kind: 'file', file: expect.stringMatching(/2026-11-29T13-50-56-891Z-multi-stream\.json$/) });
      expect(l.cells.map((c) => `${c.rung}/${c.subject}`).sort()).toEqual(['20k/kernel', '20k/mcr', 'bulk/mcr', 'bulk/mcr-fixed', 'half-ndr/kernel', 'half-ndr/mcr']);
      for (const c of l.cells) {
        expect(c.trials).toHaveLength(1);
        expect(c.stats!.p999Us!.median).toBeGreaterThanOrEqual(c.stats!.p99Us!.median);
        expect(c.stats!.incorrectTrials).toBe(0);
      }
      expect(l.cells.find((c) => c.rung === 'half-ndr' && c.subject === 'mcr')!.targetPps).toBe(62_500);
      expect(l.cells.find((c) => c.subject === 'kernel')!.stats!.relayCpuPerPacketUs).toBeNull();
      expect(l.bulk!.relayCpuRatio).toBeGreaterThan(0);
      expect(l.targets.find((t) => t.text === 'p50 <= 3x kernel at 20 kpps')!.met).not.toBeNull();
      expect(l.tcpNoise).toEqual({ skipped: '--no-tcp-noise' });
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
