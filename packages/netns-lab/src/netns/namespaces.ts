// Namespace life cycle. Deleting a namespace does not stop the processes inside it (they keep
// running, holding its interfaces), so deletion first signals exactly the pids that
// `ip netns pids NS` reports, and nothing found by name.
import { run } from './exec.js';

/** Names of all named network namespaces (`ip netns list`), ours and others'. */
export async function listNamespaces(): Promise<string[]> {
  const { stdout } = await run('ip', ['-json', 'netns', 'list']);
  if (!stdout.trim()) return [];
  const parsed = JSON.parse(stdout) as { name: string }[];
  return parsed.map((n) => n.name);
}

export async function namespaceExists(ns: string): Promise<boolean> {
  return (await listNamespaces()).includes(ns);
}

export async function addNamespace(ns: string): Promise<void> {
  await run('ip', ['netns', 'add', ns]);
}

/** Pids of the processes whose network namespace is `ns`. */
export async function namespacePids(ns: string): Promise<number[]> {
  try {
    const { stdout } = await run('ip', ['netns', 'pids', ns]);
    return stdout
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
      .filter((p) => Number.isInteger(p) && p > 1 && p !== process.pid);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM the namespace's processes, wait up to `graceMs`, then SIGKILL the survivors. */
export async function killNamespacePids(ns: string, graceMs = 1000): Promise<number[]> {
  const pids = await namespacePids(ns);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  const deadline = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < deadline) await sleep(50);
  for (const pid of pids.filter(alive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  return pids;
}

/** Kills the namespace's processes (by pid), then deletes it. Idempotent: a missing namespace is fine. */
export async function deleteNamespace(ns: string): Promise<void> {
  if (!(await namespaceExists(ns))) return;
  await killNamespacePids(ns);
  try {
    await run('ip', ['netns', 'delete', ns]);
  } catch (err) {
    // A concurrent teardown may have won the race; only a namespace that is still there is an error.
    if (await namespaceExists(ns)) throw err;
  }
}
