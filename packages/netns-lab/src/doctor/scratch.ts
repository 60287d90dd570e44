// A throwaway namespace for the doctor's probes: a veth pair, nothing else, removed in `finally`. What
// a probe adds (qdiscs, filters, bridges, the multicast routing socket) goes with it, so probing
// changes nothing on the machine.
import { addNamespace, deleteNamespace, inNetns } from '../netns/index.js';
import { uniquePrefix } from '../topology/index.js';

export interface Scratch {
  ns: string;
}

/** The veth pair in every scratch namespace. */
export const SCRATCH_IFNAMES = { a: 'dprobe0', b: 'dprobe1' } as const;

export async function withScratch<T>(fn: (scratch: Scratch) => Promise<T>): Promise<T> {
  const ns = `${uniquePrefix()}-doctor`;
  await addNamespace(ns);
  try {
    const { a, b } = SCRATCH_IFNAMES;
    await inNetns(ns, 'ip', ['link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
    for (const dev of ['lo', a, b]) await inNetns(ns, 'ip', ['link', 'set', dev, 'up']);
    return await fn({ ns });
  } finally {
    await deleteNamespace(ns);
  }
}
