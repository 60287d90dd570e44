// The traffic tools' own tests need two namespaces joined by one link. They use the lab's chain
// (`up(chain({ prefix: uniquePrefix() }))`, prefix family `mcrl`, so `mcr-lab clean` finds any
// leftover) over its src-rly link only:
//   sender:   source ns, eth0 10.1.0.1 (the chain gives it the 224.0.0.0/4 route it sends on);
//   receiver: relay ns,  in0  10.1.0.2 (rp_filter 0 on all/default/in0; mcr-recv joins by
//             ifindex, so it needs no multicast route; nothing forwards there: no mroutes).
// The relay's out0 and the sink namespace are simply unused.
import { afterAll, beforeAll, expect } from 'vitest';
import { listNamespaces } from '../../src/netns/index.js';
import { chain, uniquePrefix, up, type Endpoint, type Lab } from '../../src/topology/index.js';

export interface LabPair {
  lab: Lab;
  prefix: string;
  /** Sending side: the chain's source (ns, ifname eth0, ip 10.1.0.1). */
  sender: Endpoint;
  /** Receiving side: the chain's relay input in0 (ns, ifname in0, ip 10.1.0.2). */
  receiver: Endpoint;
}

export async function openLabPair(): Promise<LabPair> {
  const lab = await up(chain({ prefix: uniquePrefix() }));
  return { lab, prefix: lab.prefix, sender: lab.topo.source, receiver: lab.topo.relay.inputs[0]! };
}

/** The lab's namespaces still present (for the "nothing left behind" check after down()). */
export async function namespacesOf(prefix: string): Promise<string[]> {
  return (await listNamespaces()).filter((n) => n === prefix || n.startsWith(`${prefix}-`));
}

/**
 * A lab pair for the whole test file: opened before the first test, torn down after the last, with a
 * check that nothing of it is left. Returns a getter (the pair exists only once beforeAll has run).
 */
export function useLabPair(): () => LabPair {
  let pair: LabPair | undefined;
  beforeAll(async () => {
    pair = await openLabPair();
  });
  afterAll(async () => {
    await pair?.lab.down();
    if (pair) expect(await namespacesOf(pair.prefix)).toEqual([]);
  });
  return () => {
    if (!pair) throw new Error('lab pair not open: use it inside a test');
    return pair;
  };
}
