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
