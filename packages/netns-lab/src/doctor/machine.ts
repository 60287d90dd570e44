// The machine as the lab finds it: kernel features, tools, cores and timer granularity, probed once
// per process (machineFindings) and recorded in every results file.
import os from 'node:os';
import { probeFanoutIgnoreOutgoing, probeTimer, type TimerProbe } from '../traffic/index.js';
import {
  ASSUME_NO_MROUTE_ENV,
  assumeNoMroute,
  bpfJit,
  bridgeSnooping,
  clsact,
  clsBpf,
  mirred,
  multicastRouting,
  netem,
  tbf,
  toolVersion,
  TOOLS,
  u32,
  vlan8021q,
  type Finding,
  type ToolVersion,
} from './probes.js';
import { SCRATCH_IFNAMES, withScratch } from './scratch.js';

export const FEATURES = [
  'ipv4MulticastRouting', 'ipv6MulticastRouting', 'bridge', 'bridgeIgmpSnooping', 'bridgeMldSnooping', 'bridgeQuerier',
  'clsact', 'clsU32', 'clsBpf', 'actMirred', 'netem', 'tbf', 'vlan8021q', 'fanoutIgnoreOutgoing', 'bpfJit',
] as const;
export type Feature = (typeof FEATURES)[number];

export interface MachineFindings {
  kernel: string;
  cores: number;
  /** Shorthand for features.ipv4MulticastRouting / ipv6MulticastRouting. */
  multicastRouting: { ipv4: boolean | null; ipv6: boolean | null };
  features: Record<Feature, Finding>;
  tools: Record<string, ToolVersion>;
  /**
   * The real length of a short sleep (mcr-probe timer's defaults: 50 us, 1000 times), which bounds
   * every design that sleeps; or why it could not be measured.
   */
  timer: (TimerProbe & { how: string }) | { error: string };
  /** Test-only switches in force (each changes what the lab believes of this machine). */
  testOnly: Record<string, boolean>;
}

async function fanoutFinding(ns: string): Promise<Finding> {
  const what = `PACKET_FANOUT_FLAG_IGNORE_OUTGOING on ${SCRATCH_IFNAMES.a}`;
  try {
    const r = await probeFanoutIgnoreOutgoing(ns, SCRATCH_IFNAMES.a);
    if (!r.accepted) return { available: false, how: `${what}: refused${r.errno ? ` (${r.errno})` : ''}` };
    if (r.effective === null) return { available: null, how: `${what}: accepted; ${r.message ?? 'whether it works could not be seen'}` };
    return {
      available: r.effective,
      how: r.effective ? `${what}: accepted, and a frame sent out was not seen by the group` : `${what}: accepted silently, but the group still saw outgoing frames`,
    };
  } catch (err) {
    return { available: null, how: `${what}: the probe failed: ${(err as Error).message.split('\n')[0]}` };
  }
}

async function timerFinding(): Promise<MachineFindings['timer']> {
  try {
    const t = await probeTimer();
    return { ...t, how: `clock_nanosleep(${t.requestedUs} us), ${t.count} times: median and spread of the real length` };
  } catch (err) {
    return { error: (err as Error).message.split('\n')[0]! };
  }
}

/** Probes everything (about a second; as root: it makes a throwaway namespace). */
export async function probeMachine(): Promise<MachineFindings> {
  const features = await withScratch(async (s) => {
    const [ipv4MulticastRouting, ipv6MulticastRouting] = [await multicastRouting(s, 'ipv4'), await multicastRouting(s, 'ipv6')];
    const snooping = await bridgeSnooping(s);
    const cls = await clsact(s);
    const skipped: Finding = { available: null, how: 'not probed: clsact is missing' };
    const f: Record<Feature, Finding> = {
      ipv4MulticastRouting,
      ipv6MulticastRouting,
      bridge: snooping.bridge,
      bridgeIgmpSnooping: snooping.igmp,
      bridgeMldSnooping: snooping.mld,
      bridgeQuerier: snooping.querier,
      clsact: cls,
      clsU32: cls.available ? await u32(s) : skipped,
      clsBpf: cls.available ? await clsBpf(s) : skipped,
      actMirred: cls.available ? await mirred(s) : skipped,
      netem: await netem(s),
      tbf: await tbf(s),
      vlan8021q: await vlan8021q(s),
      fanoutIgnoreOutgoing: await fanoutFinding(s.ns),
      bpfJit: await bpfJit(),
    };
    return f;
  });
  const tools: Record<string, ToolVersion> = {};
  for (const [name, [cmd, args]] of Object.entries(TOOLS)) tools[name] = await toolVersion(cmd, args);
  return {
    kernel: os.release(),
    cores: os.availableParallelism(),
    multicastRouting: { ipv4: features.ipv4MulticastRouting.available, ipv6: features.ipv6MulticastRouting.available },
    features,
    tools,
    timer: await timerFinding(),
    testOnly: { [ASSUME_NO_MROUTE_ENV]: assumeNoMroute() },
  };
}

/** Keyed by the test-only switches, which change the answer. */
const cache = new Map<string, Promise<MachineFindings>>();

/** probeMachine(), once per process: relays and results ask often, and the answer does not change. */
export function machineFindings(): Promise<MachineFindings> {
  const key = String(assumeNoMroute());
  let found = cache.get(key);
  if (!found) {
    found = probeMachine().catch((err: unknown) => {
      cache.delete(key);
      throw err;
    });
    cache.set(key, found);
  }
  return found;
}
