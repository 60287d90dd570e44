// Which mcr CLI the lab runs: the workspace's, or another build named by option or environment.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Environment variable naming another mcr build's CLI (its bin/mcr.js) for every mcr the lab starts. */
export const MCR_BIN_ENV = 'MCR_BIN';

/**
 * Path of the `mcr` CLI the lab runs: `explicit`, else $MCR_BIN, else the workspace's (bin/mcr.js of
 * @mcr/relay); undefined if none of them is given and the package is absent.
 */
export function mcrBin(explicit?: string): string | undefined {
  if (explicit) return explicit;
  const fromEnv = process.env[MCR_BIN_ENV];
  if (fromEnv) return fromEnv;
  try {
    const pkg = createRequire(import.meta.url).resolve('@mcr/relay/package.json');
    return join(dirname(pkg), 'bin', 'mcr.js');
  } catch {
    return undefined;
  }
}

/** Why the mcr relay cannot run here, or undefined if it can (bin present and dist built). */
export function mcrUnavailableReason(explicit?: string): string | undefined {
  const bin = mcrBin(explicit);
  if (!bin) return '@mcr/relay is not resolvable from @mcr/mcr-lab';
  if (!existsSync(bin)) return `${bin} does not exist`;
  if (!existsSync(join(dirname(bin), '..', 'dist'))) return '@mcr/relay has no built dist/ (run nx build relay)';
  return undefined;
}
