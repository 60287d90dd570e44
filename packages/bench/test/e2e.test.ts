// One real run through the lab: multi-stream, 2 streams, mcr only, short trials. Skips when the
// lab's openBed is not available (not built yet) or we are not root.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { bedAvailable, machineFindingsOrNull } from '../src/lab.js';
import { parseResult } from '../src/results/schema.js';

const available = await bedAvailable();
/** What `--relays kernel` runs here: smcroute where the kernel routes multicast, else the tc mirror. */
const kernel = (await machineFindingsOrNull())?.multicastRouting.ipv4 ? 'kernel-mfc' : 'kernel-tc';
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

describe('multi-stream end to end', () => {
  it.skipIf(!available)('searches mcr on 2 streams and writes a result', async () => {
    const out = await mkdtemp(join(tmpdir(), 'bench-e2e-'));
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [cli, 'multi-stream', '--streams', '2', '--relays', 'mcr,kernel', '--trial-seconds', '0.5', '--rungs', '3', '--out', out, '--json'], { maxBuffer: 64 << 20, timeout: 150_000 });
      const r = parseResult(stdout, 'stdout');
      expect(r.points[0]!.relays.map((x) => x.relay)).toEqual(['mcr', kernel]);
      expect(r.environment.machine!.multicastRouting.ipv4).toBe(kernel === 'kernel-mfc');
      expect(r.points[0]!.relays[0]!.trials.length).toBeGreaterThan(0);
      expect(r.points[0]!.relays[0]!.duplicatesTotal).toBe(0);
      // Whole-machine CPU for every relay (the kernel's too), the relay's own beside it (not the kernel's).
      const [mcr, reference] = r.points[0]!.relays;
      expect(mcr!.machineCpuPerPacketUs).toBeGreaterThan(0);
      expect(mcr!.relayCpuPerPacketUs).toBeGreaterThan(0);
      expect(reference!.machineCpuPerPacketUs).toBeGreaterThan(0);
      expect(reference!.relayCpuPerPacketUs).toBeNull();
      // Figures with their spread: at least 3 trials at the PDR rate.
      expect(mcr!.pdr!.atRate!.trials).toBeGreaterThanOrEqual(3);
      expect(parseResult(await readFile(join(out, 'latest-multi-stream.json'), 'utf8'))).toEqual(r);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

describe('relays that cannot run here', () => {
  it.skipIf(!available)('are rows "unavailable: REASON"; the others are measured; exit 3', async () => {
    const out = await mkdtemp(join(tmpdir(), 'bench-e2e-'));
    try {
      // The test-only switch makes any kernel look like one without multicast routing.
      const args = [cli, 'multi-stream', '--streams', '1', '--relays', 'kernel-mfc,direct', '--trial-seconds', '0.3', '--rungs', '2', '--repeats', '1', '--out', out, '--json'];
      const run = await promisify(execFile)(process.execPath, args, { maxBuffer: 64 << 20, timeout: 150_000, env: { ...process.env, MCR_LAB_ASSUME_NO_MROUTE: '1' } }).then(
        () => ({ code: 0, stdout: '', stderr: '' }),
        (err: { code: number; stdout: string; stderr: string }) => err,
      );
      expect(run.code, run.stderr).toBe(3);
      const r = parseResult(run.stdout, 'stdout');
      const [direct, mfc] = r.points[0]!.relays;
      expect(direct).toMatchObject({ relay: 'direct', duplicatesTotal: 0 });
      expect(direct!.ndr!.pps).toBeGreaterThan(0);
      expect(mfc).toMatchObject({ relay: 'kernel-mfc', stop: 'unavailable', ndr: null, pdr: null, trials: [] });
      expect(mfc!.unavailable).toMatch(/^kernel \(mfc\): this kernel has no IPv4 multicast routing \(CONFIG_IP_MROUTE\); MCR_LAB_ASSUME_NO_MROUTE=1/);
      expect(r.settings.unavailable).toEqual([{ relay: 'kernel-mfc', title: 'kernel (mfc)', reason: mfc!.unavailable }]);
      expect(r.environment.machine!.testOnly).toEqual({ MCR_LAB_ASSUME_NO_MROUTE: true });
      expect(run.stderr).toMatch(/kernel \(mfc\)\s+unavailable: kernel \(mfc\): this kernel has no IPv4 multicast routing/);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});

describe('latency end to end', () => {
  it.skipIf(!available)('measures mcr and kernel at 20 kpps, half their NDR from a committed file (smcroute\'s only), and mcr against its fixed window', async () => {
    const out = await mkdtemp(join(tmpdir(), 'bench-e2e-'));
    try {
      const ndrFile = 'results/runs/2026-11-29T13-50-56-891Z-multi-stream.json';
      const args = [cli, 'latency', '--relays', 'mcr,kernel', '--repeats', '1', '--trial-seconds', '0.5', '--rates', '20k,half-ndr,bulk', '--ndr-from', ndrFile, '--no-tcp-noise', '--out', out, '--json'];
      const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 64 << 20, timeout: 150_000 });
      const l = parseResult(stdout, 'stdout').latency!;
      expect(l.ndrSource).toEqual({ kind: 'file', file: expect.stringMatching(/2026-11-29T13-50-56-891Z-multi-stream\.json$/) });
      // The committed file measured smcroute (`kernel`): the tc mirror has no NDR there, so no half-NDR trial.
      const halfKernel = kernel === 'kernel-mfc' ? [`half-ndr/${kernel}`] : [];
      expect(l.cells.map((c) => `${c.rung}/${c.subject}`).sort()).toEqual([`20k/${kernel}`, '20k/mcr', 'bulk/mcr', 'bulk/mcr-fixed', ...halfKernel, 'half-ndr/mcr'].sort());
      for (const c of l.cells) {
        expect(c.trials).toHaveLength(1);
        expect(c.stats!.p999Us!.median).toBeGreaterThanOrEqual(c.stats!.p99Us!.median);
        expect(c.stats!.incorrectTrials).toBe(0);
      }
      expect(l.cells.find((c) => c.rung === 'half-ndr' && c.subject === 'mcr')!.targetPps).toBe(62_500);
      expect(l.cells.find((c) => c.subject === kernel)!.stats!.relayCpuPerPacketUs).toBeNull();
      expect(l.bulk!.relayCpuRatio).toBeGreaterThan(0);
      expect(l.targets.find((t) => t.text === 'p50 <= 3x kernel at 20 kpps')!.met).not.toBeNull();
      expect(l.tcpNoise).toEqual({ skipped: '--no-tcp-noise' });
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
