// The built relay and its runtime dependencies copied into a directory every user can enter, laid out
// as an install (node_modules/@mcr/relay/bin/mcr.js). A test that runs the relay as another user
// (nobody) runs this copy: the checkout itself may sit under a directory only root can enter (mode
// 0700, as `mktemp -d` makes them and as /root is), where that user cannot load a single module.
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../temp-dirs.js';

const RELAY_DIR = fileURLToPath(new URL('../../', import.meta.url));
const WORKSPACE_PACKAGES = realpathSync(join(RELAY_DIR, '..'));
/** What a workspace package ships at run time (the rest is sources and tests). */
const SHIPPED = ['package.json', 'bin', 'dist', 'build/Release'];

/** The directory of package `name` as Node would find it from `fromDir` (walking up node_modules). */
function findPackage(name: string, fromDir: string): string {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(dir) === dir) throw new Error(`installed copy: package ${name} not found from ${fromDir}`);
  }
}

function dependencies(packageDir: string): string[] {
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  return Object.keys(pkg.dependencies ?? {});
}

function copyPackage(source: string, target: string): void {
  mkdirSync(target, { recursive: true });
  if (!relative(WORKSPACE_PACKAGES, source).startsWith('..')) {
    for (const part of SHIPPED) {
      if (existsSync(join(source, part))) cpSync(join(source, part), join(target, part), { recursive: true, dereference: true });
    }
  } else {
    cpSync(source, target, { recursive: true, dereference: true });
  }
}

let copied: string | undefined;

/** bin/mcr.js of a copy of the relay (made once per test file) that any user can read and run. */
export function installedRelayBin(): string {
  if (copied) return copied;
  const root = tempDir('mcr-install-');
  chmodSync(root, 0o755);
  const queue: [string, string][] = [['@mcr/relay', realpathSync(RELAY_DIR)]];
  const done = new Set<string>();
  while (queue.length) {
    const [name, source] = queue.shift()!;
    if (done.has(name)) continue;
    done.add(name);
    copyPackage(source, join(root, 'node_modules', name));
    for (const dep of dependencies(source)) if (!done.has(dep)) queue.push([dep, findPackage(dep, source)]);
  }
  copied = join(root, 'node_modules', '@mcr', 'relay', 'bin', 'mcr.js');
  return copied;
}
