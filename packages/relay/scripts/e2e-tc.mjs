#!/usr/bin/env node
// The relay's data-plane e2e files again, with every relay on the tc engine (MCR_E2E_ENGINE=tc), so
// both engines pass the same tests. Where the kernel cannot run the tc engine (probed, not assumed),
// this says what is missing and runs nothing: the packet engine's run already covered the files.
import { spawnSync } from 'node:child_process';
import { tcUnsupported } from './tc-support.mjs';

export const TC_E2E_FILES = [
  'test/e2e/forwarding.test.ts',
  'test/e2e/forwarding6.test.ts',
  'test/e2e/ranges.test.ts',
  'test/e2e/ssm.test.ts',
  'test/e2e/safety.test.ts',
  'test/e2e/loop.test.ts',
  'test/e2e/malformed.test.ts',
  'test/e2e/own-frames.test.ts',
  'test/e2e/reload.test.ts',
];

const unsupported = tcUnsupported();
if (unsupported) {
  console.log(`relay e2e on the tc engine: skipped, ${unsupported}`);
  process.exit(0);
}
const run = spawnSync('npx', ['vitest', 'run', ...TC_E2E_FILES], { stdio: 'inherit', env: { ...process.env, MCR_E2E_ENGINE: 'tc' } });
process.exit(run.status ?? 1);
