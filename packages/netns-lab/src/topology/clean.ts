// Leftover removal by prefix only. Processes are stopped by pid (`ip netns pids NS`), never by name.
import { deleteNamespace, listNamespaces } from '../netns/index.js';
import { PREFIX_FAMILY } from './names.js';
import { listEntries, unregister } from './registry.js';

const matches = (name: string, prefix: string) =>
  prefix === PREFIX_FAMILY ? name.startsWith(PREFIX_FAMILY) : name === prefix || name.startsWith(`${prefix}-`);

/**
 * Removes every namespace of lab `prefix` (or, with the default, of every lab: all names starting
 * with the family string `mcrl`), killing the processes inside each first, plus their registry entries.
 * Returns the namespaces removed.
 */
export async function clean(prefix: string = PREFIX_FAMILY): Promise<string[]> {
  if (!prefix.startsWith(PREFIX_FAMILY)) {
    throw new RangeError(`clean: prefix must start with "${PREFIX_FAMILY}" (lab namespaces only), received ${JSON.stringify(prefix)}`);
  }
  const victims = (await listNamespaces()).filter((n) => matches(n, prefix)).sort().reverse();
  for (const ns of victims) await deleteNamespace(ns);
  for (const e of await listEntries()) if (matches(e.prefix, prefix)) await unregister(e.prefix);
  return victims;
}
