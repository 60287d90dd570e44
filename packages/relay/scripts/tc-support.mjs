#!/usr/bin/env node
// Whether this machine can run the relay's tc engine (dataPlane.engine "tc"), probed, not assumed:
// run as a program it exits 0 when it can, else prints what the kernel lacks and exits 1 (.ci/run
// asks it before gating the tc engine); e2e-tc.mjs imports tcUnsupported.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TcEngine } from '@mcr/relay-native';

/** Why the tc engine cannot load here, or null when it can. */
export function tcUnsupported() {
  const support = TcEngine.probe();
  return support.clsBpf && support.helpers ? null : `the kernel lacks ${support.missing.join(', ')}`;
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const why = tcUnsupported();
  if (why) console.log(`the tc engine cannot run here: ${why}`);
  process.exit(why ? 1 : 0);
}
