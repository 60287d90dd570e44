// What this kernel and these tools can do, each found by trying it, never guessed from a version:
// a feature is present when the kernel accepts the thing that needs it, in a throwaway namespace
// (scratch.ts) that holds a veth pair and nothing else. Every finding says how it was found.
import { readFile } from 'node:fs/promises';
import { CommandError, inNetns, run } from '../netns/index.js';
import type { AddressFamily } from '../topology/index.js';
import { probeMroute } from '../traffic/index.js';
import { SCRATCH_IFNAMES, type Scratch } from './scratch.js';

export interface Finding {
  /** null: the probe could not decide (it says why in `how`). */
  available: boolean | null;
  /** The probe that decided, and what it saw. */
  how: string;
}

/**
 * The test-only switch that makes the lab behave as if the kernel had no multicast routing, so the
 * tests of the in-kernel reference run both ways on a kernel that has it.
 */
export const ASSUME_NO_MROUTE_ENV = 'MCR_LAB_ASSUME_NO_MROUTE';
export const assumeNoMroute = (): boolean => process.env[ASSUME_NO_MROUTE_ENV] === '1';

const firstLine = (err: unknown): string => {
  const text = err instanceof CommandError ? err.stderr || err.message : (err as Error).message;
  return text.trim().split('\n').find((l) => l.trim())?.trim() ?? 'failed';
};

/** Runs `cmd args` in the scratch namespace: available when it exits 0. */
async function accepted(scratch: Scratch, what: string, cmd: string, args: string[]): Promise<Finding> {
  const shown = [cmd, ...args].join(' ');
  try {
    await inNetns(scratch.ns, cmd, args, { timeout: 10_000 });
    return { available: true, how: `${what}: \`${shown}\` accepted` };
  } catch (err) {
    return { available: false, how: `${what}: \`${shown}\` refused: ${firstLine(err)}` };
  }
}

/** The multicast routing socket: MRT_INIT (IPv4) / MRT6_INIT (IPv6) in the scratch namespace. */
export async function multicastRouting(scratch: Scratch, family: AddressFamily): Promise<Finding> {
  if (assumeNoMroute()) return { available: false, how: `${ASSUME_NO_MROUTE_ENV}=1 (test-only switch): treated as absent` };
  const call = family === 'ipv6' ? 'MRT6_INIT on a raw ICMPv6 socket' : 'MRT_INIT on a raw IGMP socket';
  try {
    const r = await probeMroute(scratch.ns, family);
    return r.available
      ? { available: true, how: `${call}: accepted` }
      : { available: false, how: `${call}: ${r.errno ?? r.message ?? 'refused'}` };
  } catch (err) {
    return { available: null, how: `${call}: the probe failed: ${firstLine(err)}` };
  }
}

const { a, b } = SCRATCH_IFNAMES;

export const clsact = (s: Scratch): Promise<Finding> => accepted(s, 'clsact qdisc', 'tc', ['qdisc', 'add', 'dev', a, 'clsact']);

/** After clsact: a u32 match with no action (the classifier alone; act_gact may be missing). */
export const u32 = (s: Scratch): Promise<Finding> =>
  accepted(s, 'cls_u32', 'tc', ['filter', 'add', 'dev', a, 'ingress', 'pref', '10', 'protocol', 'ip', 'u32', 'match', 'ip', 'dst', '239.255.0.1/32', 'flowid', '1:1']);

/** After clsact: what the `kernel-tc` reference installs, a u32 match with `mirred egress mirror`. */
export const mirred = (s: Scratch): Promise<Finding> =>
  accepted(s, 'act_mirred', 'tc', [
    'filter', 'add', 'dev', a, 'ingress', 'pref', '20', 'protocol', 'ip', 'u32', 'match', 'ip', 'dst', '239.255.0.2/32',
    'action', 'mirred', 'egress', 'mirror', 'dev', b,
  ]);

/** After clsact: cls_bpf with a classic BPF program (`ret #0`), which needs no compiler. */
export const clsBpf = (s: Scratch): Promise<Finding> =>
  accepted(s, 'cls_bpf', 'tc', ['filter', 'add', 'dev', a, 'ingress', 'pref', '30', 'bpf', 'bytecode', '1,6 0 0 0,']);

export const netem = (s: Scratch): Promise<Finding> => accepted(s, 'sch_netem', 'tc', ['qdisc', 'add', 'dev', b, 'root', 'netem', 'delay', '1ms']);

export async function tbf(s: Scratch): Promise<Finding> {
  await inNetns(s.ns, 'tc', ['qdisc', 'del', 'dev', b, 'root']).catch(() => {});
  return accepted(s, 'sch_tbf', 'tc', ['qdisc', 'add', 'dev', b, 'root', 'tbf', 'rate', '1mbit', 'burst', '32kbit', 'latency', '400ms']);
}

export const vlan8021q = (s: Scratch): Promise<Finding> =>
  accepted(s, '8021q', 'ip', ['link', 'add', 'link', a, 'name', `${a}.5`, 'type', 'vlan', 'id', '5']);

/** A bridge with IGMP and MLD snooping and their querier, read back from `ip -d -j link`. */
export async function bridgeSnooping(s: Scratch): Promise<{ bridge: Finding; igmp: Finding; mld: Finding; querier: Finding }> {
  const made = await accepted(s, 'bridge', 'ip', ['link', 'add', 'dprobe', 'type', 'bridge', 'mcast_snooping', '1', 'mcast_querier', '1', 'mcast_mld_version', '2']);
  if (!made.available) return { bridge: made, igmp: made, mld: made, querier: made };
  try {
    const { stdout } = await inNetns(s.ns, 'ip', ['-d', '-j', 'link', 'show', 'dprobe']);
    const info = (JSON.parse(stdout) as { linkinfo?: { info_data?: Record<string, unknown> } }[])[0]?.linkinfo?.info_data ?? {};
    const on = (k: string): Finding => ({
      available: info[k] === 1,
      how: `a bridge made with mcast_snooping 1 mcast_querier 1 mcast_mld_version 2 reports ${k} ${JSON.stringify(info[k] ?? null)}`,
    });
    return { bridge: made, igmp: on('mcast_snooping'), mld: { ...on('mcast_mld_version'), available: info.mcast_snooping === 1 && info.mcast_mld_version === 2 }, querier: on('mcast_querier') };
  } finally {
    await inNetns(s.ns, 'ip', ['link', 'del', 'dprobe']).catch(() => {});
  }
}

/** /proc/sys/net/core/bpf_jit_enable: 1 or 2 is on (2 also dumps), 0 interprets. */
export async function bpfJit(): Promise<Finding> {
  try {
    const v = (await readFile('/proc/sys/net/core/bpf_jit_enable', 'utf8')).trim();
    return { available: v === '1' || v === '2', how: `/proc/sys/net/core/bpf_jit_enable is ${v}` };
  } catch (err) {
    return { available: false, how: `/proc/sys/net/core/bpf_jit_enable: ${(err as NodeJS.ErrnoException).code ?? firstLine(err)}` };
  }
}

export interface ToolVersion {
  /** The tool's first line of version text; null when it is not installed. */
  version: string | null;
  how: string;
}

/** The tools the lab runs or compares against, with the flag each answers its version to. */
export const TOOLS: Readonly<Record<string, [string, string[]]>> = {
  socat: ['socat', ['-V']],
  smcroute: ['smcrouted', ['-v']],
  iperf3: ['iperf3', ['--version']],
  ffmpeg: ['ffmpeg', ['-version']],
  iproute2: ['ip', ['-V']],
  tc: ['tc', ['-V']],
};

export async function toolVersion(cmd: string, args: string[]): Promise<ToolVersion> {
  const shown = [cmd, ...args].join(' ');
  try {
    const { stdout, stderr } = await run(cmd, args, { timeout: 5000 });
    const text = `${stdout}\n${stderr}`.split('\n').map((l) => l.trim()).filter(Boolean);
    const line = text.find((l) => /version|\d+\.\d+/i.test(l)) ?? text[0] ?? '';
    return { version: line, how: `\`${shown}\`` };
  } catch (err) {
    const missing = (err as CommandError).cause && /ENOENT/.test(String((err as CommandError).message));
    return { version: null, how: missing ? `\`${cmd}\` is not installed` : `\`${shown}\` failed: ${firstLine(err)}` };
  }
}
