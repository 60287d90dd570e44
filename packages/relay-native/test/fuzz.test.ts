// Short libFuzzer run of the frame parser + lookup + header rewrite (fuzz/parse_fuzzer.cc) under
// ASan/UBSan. The long run (10 minutes and more) is manual: see README "Fuzzing".
// Every command runs asynchronously: a synchronous spawn blocks the test worker's event loop for the
// whole build or fuzz run, and vitest then fails the file with "Timeout calling onTaskUpdate" once
// that exceeds its worker RPC timeout (a slow clang build on a loaded machine does).
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const fuzzDir = join(packageDir, 'fuzz');
const corpusDir = join(fuzzDir, 'corpus');
const fuzzer = join(packageDir, 'build', 'fuzz', 'parse_fuzzer');
interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  error: Error | undefined;
  output: string;
}

/** Runs a command to its end (killed after `timeoutMs`), with stdout and stderr interleaved. */
function run(file: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    const output = () => Buffer.concat(chunks).toString('utf8');
    // A command that cannot start ends in 'error' alone; one that ran ends in 'close'.
    child.once('error', (error) => resolve({ status: null, signal: null, error, output: output() }));
    child.once('close', (status, signal) => resolve({ status, signal, error: undefined, output: output() }));
  });
}

// Why the fuzzer cannot be built here, or null. Linking a trivial target tells a missing
// libFuzzer/sanitizer runtime (Debian: libclang-rt-14-dev) apart from a missing compiler.
async function missingToolchain(): Promise<string | null> {
  const version = await run('clang++', ['--version'], 30_000);
  if (version.error || version.status !== 0) return 'clang++ not found (install clang libclang-rt-14-dev)';
  const probeDir = mkdtempSync(join(tmpdir(), 'relay-fuzz-probe-'));
  try {
    const probe = join(probeDir, 'probe.cc');
    writeFileSync(probe, 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n');
    const link = await run('clang++', ['-fsanitize=fuzzer,address,undefined', probe, '-o', join(probeDir, 'probe')], 60_000);
    if (link.status !== 0) {
      return `clang++ cannot link -fsanitize=fuzzer,address,undefined (libFuzzer/sanitizer runtime missing: install libclang-rt-14-dev): ${link.output.trim().split('\n')[0]}`;
    }
    return null;
  } finally {
    rmSync(probeDir, { recursive: true, force: true });
  }
}

const skipReason = await missingToolchain();
if (skipReason !== null) console.warn(`fuzz tests skipped: ${skipReason}`);

function expectClean(result: RunResult) {
  expect(result.error, result.output).toBeUndefined();
  expect(result.output).not.toContain('ERROR: AddressSanitizer');
  expect(result.output).not.toContain('runtime error');
  expect(result.output).not.toContain('ERROR: libFuzzer');
  expect(result.output).not.toContain('==ERROR');
  expect({ status: result.status, signal: result.signal }, result.output.slice(-4000)).toEqual({ status: 0, signal: null });
}

function listing(dir: string) {
  return readdirSync(dir)
    .sort()
    .map((name) => `${name}:${statSync(join(dir, name)).size}`);
}

describe.sequential('parse_fuzzer (libFuzzer, ASan + UBSan)', () => {
  // Crash artifacts and the working corpus; created only when the tests run.
  let tempDir = '';
  beforeAll(() => {
    tempDir = mkdtempSync(join(tmpdir(), 'relay-fuzz-'));
  });
  afterAll(() => {
    if (tempDir !== '') rmSync(tempDir, { recursive: true, force: true });
  });

  it.skipIf(skipReason !== null)('builds with fuzz/build.sh', async () => {
    const build = await run('bash', [join(fuzzDir, 'build.sh')], 120_000);
    expect(build.status, build.output).toBe(0);
    expect(statSync(fuzzer).isFile()).toBe(true);
  }, 150_000);

  it.skipIf(skipReason !== null)('runs every seed in fuzz/corpus without a crash or sanitizer report', async () => {
    expect(listing(corpusDir).length).toBeGreaterThanOrEqual(10);
    const result = await run(fuzzer, ['-runs=0', `-artifact_prefix=${tempDir}/`, corpusDir], 60_000);
    expectClean(result);
    expect(result.output).toMatch(/INITED cov: \d+/);
  }, 90_000);

  it.skipIf(skipReason !== null)('short fuzz run (20 s) finds no crash or sanitizer report', async () => {
    const before = listing(corpusDir);
    const working = join(tempDir, 'corpus');
    cpSync(corpusDir, working, { recursive: true });
    // New inputs go to the first dir (the temp copy); the committed corpus is only read.
    const result = await run(
      fuzzer,
      [
        '-max_total_time=20',
        '-timeout=5',
        '-rss_limit_mb=1024',
        '-print_final_stats=1',
        `-dict=${join(fuzzDir, 'parse_fuzzer.dict')}`,
        `-artifact_prefix=${tempDir}/`,
        working,
        corpusDir,
      ],
      90_000,
    );
    expectClean(result);
    const execs = /stat::number_of_executed_units:\s*(\d+)/.exec(result.output);
    expect(Number(execs?.[1] ?? 0)).toBeGreaterThan(1000);
    console.log(`parse_fuzzer short run: ${result.output.match(/#\d+\s+DONE[^\n]*/)?.[0] ?? '(no DONE line)'}`);
    expect(listing(corpusDir)).toEqual(before);
  }, 120_000);
});
