// Placeholder until the native mcr-probe lands: the multicast routing probe reads procfs.
import { inNetns } from '../netns/index.js';
import type { AddressFamily } from '../topology/index.js';

export interface MrouteProbe { family: AddressFamily; available: boolean; errno?: string; message?: string }
export interface TimerProbe { requestedUs: number; count: number; medianUs: number; p99Us: number; minUs: number; maxUs: number }
export interface FanoutIgnoreOutgoingProbe { accepted: boolean; effective: boolean | null; errno?: string; message?: string }

export async function probeMroute(ns: string, family: AddressFamily): Promise<MrouteProbe> {
  const file = family === 'ipv6' ? '/proc/net/ip6_mr_vif' : '/proc/net/ip_mr_vif';
  try {
    await inNetns(ns, 'test', ['-e', file]);
    return { family, available: true };
  } catch {
    return { family, available: false, errno: 'ENOENT', message: `${file} is missing` };
  }
}
export async function probeTimer(_opts: { micros?: number; count?: number } = {}): Promise<TimerProbe> {
  throw new Error('mcr-probe is not built yet');
}
export async function probeFanoutIgnoreOutgoing(_ns: string, _ifname: string): Promise<FanoutIgnoreOutgoingProbe> {
  throw new Error('mcr-probe is not built yet');
}
