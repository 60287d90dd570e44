// The faults of the chaos scenario, stated once: what each does to a running mcr, and the bound its
// recovery must hold. A bound is the longest the measured sink may go without a packet after the
// fault begins; a window's loss must stay within what the offered rate sends in that time.
//
// Why these bounds (2 cores, node processes):
// - a worker is restarted at once after a crash (100 ms, then a Node process start: ~0.5 s);
// - a supervisor start (Node, config, state file, interface probe, workers) takes 1-3 s here, and
//   the scenario restarts it as systemd's Restart= would, after it died;
// - a link down/up, an MTU change or an input flap restarts that interface's workers;
// - a MAC change rebuilds the tables sending on that output; a rule change or a reload swaps tables
//   (hitless by design: their bounds only absorb the sampling period);
// - a full disk must refuse the change (ESTATE) and touch nothing.
import { randomBytes } from 'node:crypto';
import { type AddressFamily, inNetns, LAB_TTL, run } from '@mcr/netns-lab';
import type { McrControl } from '../bed/index.js';
import { linkPackets, mcrEndpoint } from '../bed/index.js';
import type { McrRelay } from '../relays/index.js';

export const FAULT_KINDS = [
  'kill-worker', 'kill-supervisor', 'output-flap', 'output-recreate', 'input-flap', 'mtu', 'mac', 'rule-churn', 'reload', 'enospc',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Recovery bound per fault kind, ms: see the reasons at the top. */
export const RECOVERY_BOUND_MS: Readonly<Record<FaultKind, number>> = {
  'kill-worker': 2000,
  'kill-supervisor': 6000,
  'output-flap': 2000,
  'output-recreate': 1000,
  'input-flap': 3000,
  mtu: 3000,
  mac: 1000,
  'rule-churn': 500,
  reload: 1000,
  enospc: 500,
};

/** How long a link stays down (or away) in a flap: longer than a poll of the relay's interface watcher. */
export const FLAP_MS = 400;

/**
 * The second output of the run-time rule, which output-recreate deletes and creates again: one end
 * of a veth pair whose both ends stay in the relay namespace (some kernels have no dummy device); its
 * transmit counter shows whether the relay sends on it.
 */
export const SPARE_OUTPUT = { ifname: 'chaos0', peer: 'chaos0p', ipv4: '10.250.0.1/24', ipv6: 'fd00:0:0:250::1/64' } as const;
/** How long the spare output may take to carry the run-time rule's stream again after it comes back. */
export const SPARE_RECOVERY_BOUND_MS = 3000;

export interface FaultContext {
  relay: McrRelay;
  control: McrControl;
  /** The relay's namespace and interfaces. */
  ns: string;
  input: string;
  output: string;
  family: AddressFamily;
  /** The state file's directory: a small tmpfs of its own. */
  stateDir: string;
  /** The run-time rule's id (in the state file, not the config). */
  runtimeRuleId: string;
  random: () => number;
}

export interface FaultResult {
  /** What happened, for the report (which worker, which MAC, ...). */
  detail: string;
  /** Checks the fault itself makes (a refusal that must come), failed ones. */
  violations: string[];
  /** output-recreate: ms until the spare output carried the stream again (null: it did not). */
  spareRecoveryMs?: number | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ip = (ctx: FaultContext, args: string[]) => inNetns(ctx.ns, 'ip', args);

/** Creates the spare output in the relay namespace (and again after output-recreate deleted it). */
export async function createSpareOutput(ns: string): Promise<void> {
  const { ifname, peer } = SPARE_OUTPUT;
  await inNetns(ns, 'ip', ['link', 'add', ifname, 'type', 'veth', 'peer', 'name', peer]);
  await inNetns(ns, 'ip', ['link', 'set', peer, 'up']);
  await inNetns(ns, 'ip', ['addr', 'add', SPARE_OUTPUT.ipv4, 'dev', ifname]);
  await inNetns(ns, 'ip', ['-6', 'addr', 'add', SPARE_OUTPUT.ipv6, 'dev', ifname, 'nodad']);
  await inNetns(ns, 'ip', ['link', 'set', ifname, 'up']);
}

async function killWorker(ctx: FaultContext): Promise<FaultResult> {
  const stats = await ctx.control.stats();
  const alive = stats.workers.filter((w) => w.alive && w.pid !== null);
  if (alive.length === 0) return { detail: 'no worker alive to kill', violations: [`kill-worker: no worker alive (of ${stats.workers.length})`] };
  const w = alive[Math.floor(ctx.random() * alive.length)]!;
  process.kill(w.pid!, 'SIGKILL');
  return { detail: `SIGKILL worker ${w.interface}#${w.index} (pid ${w.pid})`, violations: [] };
}

async function killSupervisor(ctx: FaultContext): Promise<FaultResult> {
  const pid = ctx.relay.pid;
  await ctx.relay.restart();
  return { detail: `SIGKILL supervisor (pid ${pid}), mcr run again from the same config and state file (pid ${ctx.relay.pid})`, violations: [] };
}

async function flap(ctx: FaultContext, ifname: string): Promise<FaultResult> {
  await ip(ctx, ['link', 'set', ifname, 'down']);
  await sleep(FLAP_MS);
  await ip(ctx, ['link', 'set', ifname, 'up']);
  return { detail: `${ifname} down for ${FLAP_MS} ms`, violations: [] };
}

async function recreateSpare(ctx: FaultContext): Promise<FaultResult> {
  const { ifname } = SPARE_OUTPUT;
  await ip(ctx, ['link', 'del', ifname]);
  await sleep(FLAP_MS);
  await createSpareOutput(ctx.ns);
  const t0 = Date.now();
  const before = await linkPackets(ctx.ns, ifname, 'tx');
  let spareRecoveryMs: number | null = null;
  while (Date.now() - t0 < SPARE_RECOVERY_BOUND_MS + 1000) {
    if ((await linkPackets(ctx.ns, ifname, 'tx')) > before + 10) {
      spareRecoveryMs = Date.now() - t0;
      break;
    }
    await sleep(20);
  }
  const violations =
    spareRecoveryMs === null || spareRecoveryMs > SPARE_RECOVERY_BOUND_MS
      ? [`output-recreate: ${ifname} carried nothing within ${SPARE_RECOVERY_BOUND_MS} ms of coming back (${spareRecoveryMs ?? 'never'} ms)`]
      : [];
  return { detail: `${ifname} deleted for ${FLAP_MS} ms and created again; traffic on it again after ${spareRecoveryMs ?? 'never'} ms`, violations, spareRecoveryMs };
}

async function mtu(ctx: FaultContext): Promise<FaultResult> {
  await ip(ctx, ['link', 'set', ctx.output, 'mtu', '1400']);
  await sleep(FLAP_MS);
  await ip(ctx, ['link', 'set', ctx.output, 'mtu', '1500']);
  return { detail: `${ctx.output} MTU 1400 for ${FLAP_MS} ms, then 1500`, violations: [] };
}

async function mac(ctx: FaultContext): Promise<FaultResult> {
  const address = `02:${[...randomBytes(5)].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
  await ip(ctx, ['link', 'set', 'dev', ctx.output, 'address', address]);
  return { detail: `${ctx.output} MAC ${address}`, violations: [] };
}

/** A group and port no stream uses, for the rule that comes and goes. */
const churnEndpoint = (family: AddressFamily) => (family === 'ipv6' ? { group: 'ff3e::77:1', out: 'ff3e::78:1' } : { group: '239.77.0.1', out: '239.78.0.1' });

async function ruleChurn(ctx: FaultContext): Promise<FaultResult> {
  const e = churnEndpoint(ctx.family);
  await ctx.control.add({ id: 'chaos-churn', input: mcrEndpoint(ctx.input, e.group, 7001), outputs: [mcrEndpoint(ctx.output, e.out, 7001, LAB_TTL)] });
  await ctx.control.remove('chaos-churn');
  return { detail: 'mcr add chaos-churn, then mcr remove', violations: [] };
}

async function reload(ctx: FaultContext): Promise<FaultResult> {
  let ttl = 0;
  await ctx.relay.rewriteConfig((c) => {
    const first = c.rules[0]!;
    ttl = first.outputs[0]!.ttl === 8 ? 9 : 8;
    first.outputs = first.outputs.map((o) => ({ ...o, ttl }));
    return c;
  });
  await ctx.control.call(['reload']);
  return { detail: `config rule ${ctx.relay.currentConfig?.rules[0]?.id} output TTL ${ttl}, mcr reload`, violations: [] };
}

async function enospc(ctx: FaultContext): Promise<FaultResult> {
  const fill = `${ctx.stateDir}/fill`;
  // dd stops at the first failed write: ENOSPC, the disk full.
  await run('dd', ['if=/dev/zero', `of=${fill}`, 'bs=64k'], { timeout: 10_000 }).catch(() => {});
  const violations: string[] = [];
  const e = churnEndpoint(ctx.family);
  try {
    try {
      await ctx.control.add({ id: 'chaos-full', input: mcrEndpoint(ctx.input, e.group, 7002), outputs: [mcrEndpoint(ctx.output, e.out, 7002, LAB_TTL)] });
      violations.push('enospc: mcr add succeeded with the state directory full: the rule is not saved, and a restart would lose it');
      await ctx.control.remove('chaos-full').catch(() => {});
    } catch (err) {
      if (!/ESTATE/.test(String((err as Error).message))) violations.push(`enospc: mcr add failed, but not with ESTATE: ${(err as Error).message.split('\n')[0]}`);
    }
    const ids = await ctx.control.ruleIds();
    if (ids.includes('chaos-full')) violations.push('enospc: the refused rule is in the table');
  } finally {
    await run('rm', ['-f', fill]);
  }
  return { detail: 'state directory filled to ENOSPC, mcr add refused (ESTATE expected), disk freed', violations };
}

export const FAULTS: Readonly<Record<FaultKind, (ctx: FaultContext) => Promise<FaultResult>>> = {
  'kill-worker': killWorker,
  'kill-supervisor': killSupervisor,
  'output-flap': (ctx) => flap(ctx, ctx.output),
  'output-recreate': recreateSpare,
  'input-flap': (ctx) => flap(ctx, ctx.input),
  mtu,
  mac,
  'rule-churn': ruleChurn,
  reload,
  enospc,
};
