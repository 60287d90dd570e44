// A relay the lab does not know, plugged in by a package above it: the lab's baselines (socat, the
// in-kernel references, the direct wire) are its own; a relay under development brings its name, its
// title and its own check of what it needs. The doctor lists it with the baselines, and resolveRelay
// and assertRelayAvailable answer for it, so the lab never imports the relay's code.
import type { MachineFindings } from '../doctor/machine.js';
import type { AddressFamily } from '../topology/index.js';

export interface RelayPlugin {
  /** How options and results name it (`mcr`); never one of BASELINE_NAMES. */
  readonly name: string;
  /** How tables and messages name it. */
  readonly title: string;
  /** Why it cannot run here for streams of `family` (without its title), or undefined when it can. */
  unavailableReason(family: AddressFamily, m: MachineFindings): string | undefined;
}
