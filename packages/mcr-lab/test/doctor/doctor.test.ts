// `mcr-lab doctor`, run as users run it: every finding probed, multicast routing as the kernel really
// has it (checked against /proc/net/ip_mr_vif), kernel-mfc's refusal named where it cannot run, and
// the test-only switch that makes any kernel look like one without multicast routing.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { type DoctorReport, FEATURES, listNamespaces } from '@mcr/netns-lab';
import { RELAY_NAMES } from '../../src/relays/index.js';
import { SCENARIO_NAMES } from '../../src/scenarios/index.js';

const BIN = fileURLToPath(new URL('../../bin/mcr-lab.js', import.meta.url));

async function doctor(env: Record<string, string> = {}): Promise<DoctorReport> {
  const r = await execa(process.execPath, [BIN, 'doctor', '--json'], { env, reject: false });
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as DoctorReport;
}

describe('mcr-lab doctor', () => {
  it('states what the kernel can do, each with how it was found, and which relays and scenarios can run', async () => {
    const before = await listNamespaces();
    const r = await doctor();
    const hasMroute = existsSync('/proc/net/ip_mr_vif');
    expect(r.multicastRouting.ipv4).toBe(hasMroute);
    expect(r.multicastRouting.ipv6).toBe(existsSync('/proc/net/ip6_mr_vif'));
    expect(r.features.ipv4MulticastRouting.how).toMatch(/MRT_INIT/);
    expect(Object.keys(r.features).sort()).toEqual([...FEATURES].sort());
    for (const f of FEATURES) expect(r.features[f].how.length).toBeGreaterThan(0);
    expect(r.cores).toBeGreaterThan(0);
    expect(r.tools.socat!.version).toMatch(/socat version/);
    expect(r.testOnly).toEqual({ MCR_LAB_ASSUME_NO_MROUTE: false });
    // Every relay for both families; kernel resolves by the probe.
    expect(r.relays.filter((v) => v.family === 'ipv4').map((v) => v.relay)).toEqual([...RELAY_NAMES]);
    const v4 = (relay: string) => r.relays.find((v) => v.relay === relay && v.family === 'ipv4')!;
    expect(v4('kernel').runs).toBe(hasMroute ? 'kernel-mfc' : 'kernel-tc');
    expect(v4('kernel-tc')).toMatchObject({ available: true, reason: null });
    if (!hasMroute) {
      expect(v4('kernel-mfc')).toMatchObject({ available: false, reason: expect.stringMatching(/^kernel \(mfc\): this kernel has no IPv4 multicast routing \(CONFIG_IP_MROUTE\)/) });
    }
    expect(r.scenarios.map((s) => s.scenario).sort()).toEqual([...SCENARIO_NAMES].sort());
    expect(r.scenarios.find((s) => s.scenario === 'compare')).toMatchObject({ available: true });
    // The probes' throwaway namespace is gone.
    expect((await listNamespaces()).filter((n) => !before.includes(n))).toEqual([]);
  });

  it('MCR_LAB_ASSUME_NO_MROUTE=1 (test-only): multicast routing false, kernel is the tc mirror, kernel-mfc names why', async () => {
    const r = await doctor({ MCR_LAB_ASSUME_NO_MROUTE: '1' });
    expect(r.multicastRouting).toEqual({ ipv4: false, ipv6: false });
    expect(r.testOnly).toEqual({ MCR_LAB_ASSUME_NO_MROUTE: true });
    const mfc = r.relays.find((v) => v.relay === 'kernel-mfc' && v.family === 'ipv6')!;
    expect(mfc.reason).toMatch(/^kernel \(mfc\): this kernel has no IPv6 multicast routing \(CONFIG_IPV6_MROUTE\); MCR_LAB_ASSUME_NO_MROUTE=1/);
    expect(r.relays.find((v) => v.relay === 'kernel' && v.family === 'ipv4')!.runs).toBe('kernel-tc');
  });

  it('prints a readable report without --json', async () => {
    const r = await execa(process.execPath, [BIN, 'doctor'], { reject: false });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/kernel features \(each probed in a throwaway namespace\):/);
    expect(r.stdout).toMatch(/kernel -> kernel \((mfc|tc)\) \(ipv4\)\s+can run/);
  });
});
