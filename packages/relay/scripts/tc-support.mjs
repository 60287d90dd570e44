#!/usr/bin/env node
// Whether this machine can run the relay's tc engine (dataPlane.engine "tc"), probed, not assumed,
// by the relay's own check (tcUnavailable: capabilities, then the kernel): run as a program it exits 0
// when it can, else prints why not and exits 1 (.ci/run asks it before gating the tc engine);
// e2e-tc.mjs imports tcUnsupported.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tcUnavailable } from '../dist/workers/tc-input.js';

/** Why the tc engine cannot run here, or null when it can. */
export const tcUnsupported = () => tcUnavailable();

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const why = tcUnsupported();
  if (why) console.log(`the tc engine cannot run here: ${why}`);
  process.exit(why ? 1 : 0);
}
