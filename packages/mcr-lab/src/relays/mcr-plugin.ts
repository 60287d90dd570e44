// mcr as the lab's plug-in: its name and title, and whether it can run here (a CLI to run, built).
import type { RelayPlugin } from '@mcr/netns-lab';
import { mcrUnavailableReason } from './mcr-bin.js';

/** mcr plugged into the lab; `bin`: another build's bin/mcr.js (default $MCR_BIN, else the workspace's). */
export function mcrPlugin(bin?: string): RelayPlugin {
  return { name: 'mcr', title: 'mcr', unavailableReason: () => mcrUnavailableReason(bin) };
}
