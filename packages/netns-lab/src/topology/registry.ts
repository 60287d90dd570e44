// Registry of live labs: one JSON file per lab in /run/mcr-lab, so `mcr-lab topo list` and
// `mcr-lab topo down PREFIX` work from a later CLI invocation. /run is tmpfs: a reboot, which also
// removes every namespace, empties it too.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Topology } from './types.js';

export const REGISTRY_DIR = process.env.MCR_LAB_REGISTRY ?? '/run/mcr-lab';

export interface RegistryEntry {
  prefix: string;
  kind: Topology['kind'];
  createdAt: string;
  /** The process that ran `up` (informational: it may have exited, the lab lives on). */
  pid: number;
  topology: Topology;
}

const file = (prefix: string) => join(REGISTRY_DIR, `${prefix}.json`);

export async function register(topo: Topology): Promise<void> {
  await mkdir(REGISTRY_DIR, { recursive: true });
  const entry: RegistryEntry = { prefix: topo.prefix, kind: topo.kind, createdAt: new Date().toISOString(), pid: process.pid, topology: topo };
  await writeFile(file(topo.prefix), JSON.stringify(entry, null, 2) + '\n');
}

export async function unregister(prefix: string): Promise<void> {
  await rm(file(prefix), { force: true });
}

export async function readEntry(prefix: string): Promise<RegistryEntry | undefined> {
  try {
    return JSON.parse(await readFile(file(prefix), 'utf8')) as RegistryEntry;
  } catch {
    return undefined;
  }
}

export async function listEntries(): Promise<RegistryEntry[]> {
  let names: string[];
  try {
    names = await readdir(REGISTRY_DIR);
  } catch {
    return [];
  }
  const entries: RegistryEntry[] = [];
  for (const n of names.filter((x) => x.endsWith('.json')).sort()) {
    const e = await readEntry(n.slice(0, -'.json'.length));
    if (e) entries.push(e);
  }
  return entries;
}
