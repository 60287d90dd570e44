// Real namespaces for tests: unique prefixes, argument arrays (no shell), teardown that never
// throws and removes only what this test created.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** 'mt' + 6 random hex chars: short enough for '<prefix>-xx' interface names (15 max). */
export function uniquePrefix(): string {
  return `mt${randomBytes(3).toString('hex')}`;
}

export async function run(command: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, { maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed: ${e.stderr ?? e.message}`, { cause: error });
  }
}

export function nsRun(ns: string, command: string, args: string[]): Promise<string> {
  return run('ip', ['netns', 'exec', ns, command, ...args]);
}

export interface LinkInfo {
  ifindex: number;
  mac: string;
}

export class NamespaceSet {
  readonly created: string[] = [];

  async add(name: string): Promise<string> {
    await run('ip', ['netns', 'add', name]);
    this.created.push(name);
    // Multicast receivers want rp_filter 0; IPv6 off keeps ND/MLD noise out of the counters.
    // Set before links exist so that the defaults apply to them.
    await nsRun(name, 'sysctl', [
      '-q',
      '-w',
      'net.ipv4.conf.all.rp_filter=0',
      'net.ipv4.conf.default.rp_filter=0',
      'net.ipv6.conf.all.disable_ipv6=1',
      'net.ipv6.conf.default.disable_ipv6=1',
    ]);
    await nsRun(name, 'ip', ['link', 'set', 'lo', 'up']);
    return name;
  }

  /** Removes the namespaces in reverse order (their links go with them). Never throws. */
  async cleanup(): Promise<void> {
    for (const name of [...this.created].reverse()) {
      await run('ip', ['netns', 'del', name]).catch(() => undefined);
    }
    this.created.length = 0;
  }
}

export async function linkInfo(ns: string, name: string): Promise<LinkInfo> {
  const json = JSON.parse(await nsRun(ns, 'ip', ['-j', 'link', 'show', 'dev', name])) as Array<{
    ifindex: number;
    address: string;
  }>;
  const link = json[0];
  if (link === undefined) throw new Error(`no link ${name} in ${ns}`);
  return { ifindex: link.ifindex, mac: link.address };
}

/** Waits until `probe` returns a value accepted by `done`, or the deadline passes (returns the last value). */
export async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
