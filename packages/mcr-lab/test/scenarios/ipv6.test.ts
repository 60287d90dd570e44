// Scenarios with --family ipv6. What must hold: 30 IPv6 groups behind the MLD-snooping bridge all
// arrive (through socat, the kernel and mcr), and the negative control's IPv6 twin is caught:
// without MLD joins nothing crosses the bridge, which the scenario must report as loss.
// The shared-port control's IPv6 twin (cross-talk) is caught too. Correctness only (no timing).
import { describe, expect, it } from 'vitest';
import { normaliseScenarioOptions, runScenario, ScenarioUsageError } from '../../src/scenarios/index.js';
import { expectBedsClosedAfterAll } from '../beds-closed.js';
import { cli, expectPassed } from './scenario-cli.js';
import { kernelReference } from '../kernel-reference.js';

expectBedsClosedAfterAll();


const modest = { rate: 6000, count: 500 } as const;

describe('--family (pure)', () => {
  it('defaults to ipv4; snooping defaults to 30 streams and takes no-igmp on any relay', () => {
    expect(normaliseScenarioOptions('multi-stream')).toMatchObject({ family: 'ipv4' });
    expect(normaliseScenarioOptions('multi-stream', { family: 'ipv6', relay: 'socat' })).toMatchObject({ family: 'ipv6', relay: 'socat' });
    expect(normaliseScenarioOptions('snooping', { family: 'ipv6', relay: 'kernel' })).toMatchObject({ streams: [30], relay: 'kernel' });
    expect(normaliseScenarioOptions('snooping', { relay: 'socat', injectBug: 'no-igmp' })).toMatchObject({ relay: 'socat', injectBug: 'no-igmp' });
    expect(normaliseScenarioOptions('snooping', { injectBug: 'no-igmp' }).relay).toBe('mcr');
  });

  it('refuses a bad family, naming the option; every scenario takes ipv6', () => {
    expect(() => normaliseScenarioOptions('multi-stream', { family: 'ip6' as 'ipv6' })).toThrow(ScenarioUsageError);
    expect(() => normaliseScenarioOptions('multi-stream', { family: 'ip6' as 'ipv6' })).toThrow('--family: must be one of ipv4 | ipv6, got "ip6"');
    for (const name of ['scaling', 'duplication', 'igmp', 'churn', 'compare', 'soak', 'loop']) expect(normaliseScenarioOptions(name, { family: 'ipv6' }).family).toBe('ipv6');
  });

  it('CLI: --help lists --family and snooping; a bad family exits 2', async () => {
    const help = await cli('run', '--help');
    expect(help.out).toContain('--family ipv4|ipv6');
    expect(help.out).toContain('snooping');
    expect(await cli('run', 'multi-stream', '--family', 'v6')).toMatchObject({ code: 2, err: expect.stringContaining('--family') });
  });
});

describe('IPv6 behind the MLD-snooping bridge', () => {
  it('snooping, socat: 30 IPv6 groups all arrive; an unjoined group does not cross the bridge', async () => {
    const r = await runScenario('snooping', { relay: 'socat', family: 'ipv6', streams: 30, ...modest });
    expectPassed(r);
    expect(r.rows).toHaveLength(30);
    expect((r.details.joined as string[]).length).toBe(30);
    expect(r.details.unjoinedFrames as number).toBeLessThan(20);
  });

  it('snooping, kernel (smcroute mgroup + IPv6 routes, or the tc mirror with a membership holder): 30 IPv6 groups all arrive', async () => {
    expectPassed(await runScenario('snooping', { relay: 'kernel', family: 'ipv6', streams: 30, ...modest }));
  });

  it('snooping, mcr: 30 IPv6 groups all arrive, each joined on in0', async () => {
    const r = await runScenario('snooping', { relay: 'mcr', family: 'ipv6', streams: 30, ...modest });
    expectPassed(r);
    expect((r.details.joined as string[]).length).toBe(30);
  });

  it('igmp on MLD: mcr delivers, /proc/net/igmp6 lists the rules\' groups, leave and join observed', async () => {
    const r = await runScenario('igmp', { family: 'ipv6', streams: 2, rate: 2000, count: 300 });
    expectPassed(r);
    expect(r.details.membershipsRunning).toEqual(expect.arrayContaining(['ff3e::1:1', 'ff3e::1:2']));
    expect(r.details.leaveDelayMs).toEqual(expect.any(Number));
    expect(r.details.joinDelayMs).toEqual(expect.any(Number));
  });

  it('igmp on MLD with no-igmp: mcr joins nothing, the loss and the missing memberships are caught', async () => {
    const r = await runScenario('igmp', { family: 'ipv6', injectBug: 'no-igmp', streams: 2, rate: 2000, count: 200 });
    expect(r.passed).toBe(false);
    expect(r.violations.some((v) => v.metric === 'lossPct' && v.value === 100)).toBe(true);
    expect(r.violations.some((v) => v.metric === 'igmpMissing' && /igmp6/.test(v.message))).toBe(true);
  });

  it('negative control: no MLD join behind the snooping bridge is caught as loss (CLI exit 1)', async () => {
    const r = await cli('run', 'snooping', '--relay', 'socat', '--family', 'ipv6', '--inject-bug', 'no-igmp', '--streams', '4', '--rate', '2000', '--count', '200');
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toMatch(/loss 100\.00 %/);
    expect(r.out).toContain('FAIL');
  });
});

describe('IPv6 twins of the chain controls', () => {
  it('loop on IPv6: the hop limit ends a segment or ring loop; with no-loop-guard the datagram circulates (caught)', async () => {
    expectPassed(await runScenario('loop', { family: 'ipv6' }));
    const bad = await runScenario('loop', { family: 'ipv6', injectBug: 'no-loop-guard' });
    expect(bad.passed).toBe(false);
    expect(bad.violations.some((v) => v.metric === 'relayed')).toBe(true);
  });

  it('soak on IPv6, shortened: IPv6 rules added and removed every second under IPv6 traffic', async () => {
    const r = await runScenario('soak', { family: 'ipv6', duration: 12, rate: 5000 });
    expectPassed(r);
    expect((r.details as { changes: number }).changes).toBeGreaterThanOrEqual(8);
  });

  it('socat-shared-port with IPv6 groups: cross-talk caught (exit 1)', async () => {
    const r = await cli('run', 'multi-stream', '--family', 'ipv6', '--inject-bug', 'socat-shared-port', '--streams', '3', '--rate', '3000', '--count', '500');
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toMatch(/packets of other streams \(cross-talk\)/);
  });

  it('compare on IPv6: mcr, socat and the kernel side by side, every one passes', async () => {
    const r = await runScenario('compare', { family: 'ipv6', streams: 4, ...modest });
    expectPassed(r);
    expect(r.rows.map((row) => row.relay)).toEqual(['mcr', 'socat', (await kernelReference('ipv6')).label]);
  });
});
