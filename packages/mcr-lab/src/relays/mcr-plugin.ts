// mcr as the lab's plug-ins, one per engine: the name, the title, and whether it can run here (a CLI
// to run, built; for mcr-tc also a kernel that loads direct-action cls_bpf programs, as the doctor
// probed it: the relay itself names a missing capability or helper when it starts).
import type { RelayPlugin } from '@mcr/netns-lab';
import { mcrUnavailableReason } from './mcr-bin.js';

/**
 * mcr as users run it (`mcr`, the AF_PACKET engine, its default) and with `dataPlane.engine: "tc"`
 * (`mcr-tc`: its BPF program forwards in the input's tc ingress).
 */
export const MCR_RELAYS = ['mcr', 'mcr-tc'] as const;
export type McrRelayName = (typeof MCR_RELAYS)[number];
export const isMcrRelay = (name: string): name is McrRelayName => (MCR_RELAYS as readonly string[]).includes(name);

/** mcr plugged into the lab; `bin`: another build's bin/mcr.js (default $MCR_BIN, else the workspace's). */
export function mcrPlugin(bin?: string, name: McrRelayName = 'mcr'): RelayPlugin {
  if (name === 'mcr') return { name, title: name, unavailableReason: () => mcrUnavailableReason(bin) };
  return {
    name,
    title: name,
    unavailableReason: (_family, m) =>
      mcrUnavailableReason(bin) ??
      (!m.features.clsact.available ? 'the kernel has no clsact qdisc (CONFIG_NET_SCH_INGRESS)' : !m.features.clsBpf.available ? 'the kernel has no cls_bpf classifier (CONFIG_NET_CLS_BPF)' : undefined),
  };
}

/** Both engines' plug-ins. */
export const mcrPlugins = (bin?: string): RelayPlugin[] => MCR_RELAYS.map((name) => mcrPlugin(bin, name));
