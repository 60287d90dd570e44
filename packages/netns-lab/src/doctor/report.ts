// `mcr-lab doctor`: the machine's findings, then for every relay (per family) and every scenario
// whether it can run here, and if not, why. The relays are the lab's baselines after the plugged-in
// ones; the scenarios, and the relays and features each needs, come from the package that has them.
import { relayUnavailableReason, resolveKernel } from '../relays/availability.js';
import type { RelayPlugin } from '../relays/plugin.js';
import { BASELINE_NAMES, relayTitle } from '../relays/types.js';
import type { AddressFamily } from '../topology/index.js';
import { FEATURES, machineFindings, type Feature, type MachineFindings } from './machine.js';

const FAMILIES: readonly AddressFamily[] = ['ipv4', 'ipv6'];

export interface RelayVerdict {
  /** As --relays names it (`kernel` included). */
  relay: string;
  /** What runs for it (`kernel` resolves to kernel-mfc or kernel-tc). */
  runs: string;
  title: string;
  family: AddressFamily;
  available: boolean;
  reason: string | null;
}

export interface ScenarioVerdict {
  scenario: string;
  available: boolean;
  reason: string | null;
}

export interface DoctorReport extends MachineFindings {
  relays: RelayVerdict[];
  scenarios: ScenarioVerdict[];
}

/** A scenario the doctor judges: the relays (by name) and kernel features it needs. */
export interface DoctorScenario {
  name: string;
  relays: readonly string[];
  features: readonly Feature[];
}

/** What the doctor judges besides the baselines: plugged-in relays (listed first) and scenarios. */
export interface DoctorPlan {
  relays: readonly RelayPlugin[];
  scenarios: readonly DoctorScenario[];
}

/** Pure: verdicts from findings. */
export function verdicts(m: MachineFindings, plan: DoctorPlan = { relays: [], scenarios: [] }): Pick<DoctorReport, 'relays' | 'scenarios'> {
  const names = [...plan.relays.map((p) => p.name), ...BASELINE_NAMES];
  const title = (name: string) => plan.relays.find((p) => p.name === name)?.title ?? relayTitle(name);
  const relays: RelayVerdict[] = FAMILIES.flatMap((family) =>
    names.map((relay) => {
      const runs = relay === 'kernel' ? resolveKernel(family, m) : relay;
      const reason = relayUnavailableReason(runs, family, m, plan.relays) ?? null;
      return { relay, runs, title: title(runs), family, available: reason === null, reason };
    }),
  );
  const v4 = (r: string) => relays.find((x) => x.relay === r && x.family === 'ipv4')!;
  const scenarios = plan.scenarios.map(({ name, relays: needed, features }) => {
    const reasons = [
      ...needed.map(v4).filter((r) => !r.available).map((r) => r.reason!),
      ...features.filter((f) => m.features[f].available !== true).map((f) => `this kernel lacks ${f} (${m.features[f].how})`),
    ];
    return { scenario: name, available: reasons.length === 0, reason: reasons.length ? reasons.join('; ') : null };
  });
  return { relays, scenarios };
}

export async function doctorReport(plan?: DoctorPlan): Promise<DoctorReport> {
  const m = await machineFindings();
  return { ...m, ...verdicts(m, plan) };
}

const yes = (v: boolean | null): string => (v === null ? '?' : v ? 'yes' : 'no');

/** The report for a terminal. */
export function renderDoctor(r: DoctorReport): string {
  const lines = [`kernel ${r.kernel}, ${r.cores} cores`, '', 'kernel features (each probed in a throwaway namespace):'];
  const width = Math.max(...FEATURES.map((f) => f.length));
  for (const f of FEATURES) lines.push(`  ${f.padEnd(width)}  ${yes(r.features[f].available).padEnd(3)}  ${r.features[f].how}`);
  lines.push('', 'tools:');
  for (const [name, t] of Object.entries(r.tools)) lines.push(`  ${name.padEnd(width)}  ${t.version ?? `missing: ${t.how}`}`);
  lines.push('', 'timer:');
  if ('error' in r.timer) lines.push(`  could not be measured: ${r.timer.error}`);
  else lines.push(`  a ${r.timer.requestedUs} us sleep lasts ${r.timer.medianUs.toFixed(0)} us (median of ${r.timer.count}; min ${r.timer.minUs.toFixed(0)}, p99 ${r.timer.p99Us.toFixed(0)}, max ${r.timer.maxUs.toFixed(0)} us)`);
  const on = Object.entries(r.testOnly).filter(([, v]) => v);
  if (on.length) lines.push('', `test-only switches in force: ${on.map(([k]) => `${k}=1`).join(', ')}`);
  lines.push('', 'relays:');
  for (const v of r.relays) {
    const name = v.relay === v.runs ? v.relay : `${v.relay} -> ${v.title}`;
    lines.push(`  ${`${name} (${v.family})`.padEnd(30)}  ${v.available ? 'can run' : `cannot run: ${v.reason}`}`);
  }
  lines.push('', 'scenarios (IPv4):');
  for (const s of r.scenarios) lines.push(`  ${s.scenario.padEnd(14)}  ${s.available ? 'can run' : `cannot run: ${s.reason}`}`);
  return lines.join('\n') + '\n';
}

