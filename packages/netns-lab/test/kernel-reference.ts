// The in-kernel reference as `--relays kernel` picks it on this machine: kernel multicast routing
// (smcroute) where the kernel has it for the family, else the tc mirror. The reference tests run
// through it, so they pass on both kinds of kernel (MCR_LAB_ASSUME_NO_MROUTE=1 makes a kernel with
// multicast routing take the tc path).
import { createBaseline, resolveRelay, type RelayUnderTest } from '../src/relays/index.js';
import type { AddressFamily } from '../src/topology/index.js';

export async function kernelReference(family: AddressFamily = 'ipv4'): Promise<RelayUnderTest> {
  const r = await resolveRelay('kernel', family);
  if (r.unavailable !== undefined) throw new Error(r.unavailable);
  return createBaseline(r.relay);
}
