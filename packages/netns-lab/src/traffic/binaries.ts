// Locates the lab's native tools (traffic and the kernel probe). node-gyp builds them into
// <package>/build/Release; this file sits at <package>/src/traffic (tests, tsx) or
// <package>/dist/traffic (built), so the package root is two levels up either way.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type TrafficTool = 'mcr-send' | 'mcr-recv' | 'mcr-observe' | 'mcr-probe';

/** Directory that holds mcr-send, mcr-recv, mcr-observe and mcr-probe after `npx nx run netns-lab:build`. */
export const releaseDir: string = fileURLToPath(new URL('../../build/Release/', import.meta.url));

/** Absolute path of a native tool; throws a message that says how to build it when missing. */
export function toolPath(tool: TrafficTool): string {
  const path = join(releaseDir, tool);
  if (!existsSync(path)) {
    throw new Error(
      `${tool} not found at ${path}: build the lab's native tools first with \`npx nx run netns-lab:build\``,
    );
  }
  return path;
}
