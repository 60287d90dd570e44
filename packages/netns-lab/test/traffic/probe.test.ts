// mcr-probe through its wrappers, in a throwaway namespace of this file's own (one veth pair, both
// ends inside it): each probe's answer is checked against what the kernel shows by another route,
// and each check has a negative control that makes the probe give the other answer.
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addNamespace, deleteNamespace, inNetns, listNamespaces, run } from '../../src/netns/index.js';
import { uniquePrefix } from '../../src/topology/index.js';
import { probeFanoutIgnoreOutgoing, probeMroute, probeTimer, toolPath, TrafficToolError } from '../../src/traffic/index.js';

const ns = `${uniquePrefix()}-probe`;

/** Whether the namespace's kernel lists multicast routing interfaces (/proc/net/ip_mr_vif, ip6_mr_vif). */
async function procExists(file: string): Promise<boolean> {
  try {
    await inNetns(ns, 'cat', [file]);
    return true;
  } catch {
    return false;
  }
}

describe('mcr-probe in a throwaway namespace', () => {
  beforeAll(async () => {
    await addNamespace(ns);
    await inNetns(ns, 'ip', ['link', 'set', 'lo', 'up']);
    await run('ip', ['link', 'add', 'p0', 'netns', ns, 'type', 'veth', 'peer', 'name', 'p1', 'netns', ns]);
    await inNetns(ns, 'ip', ['link', 'set', 'p1', 'up']);
  });
  afterAll(async () => {
    await deleteNamespace(ns);
    expect(await listNamespaces()).not.toContain(ns);
  });

  it.each([
    ['ipv4', '/proc/net/ip_mr_vif'],
    ['ipv6', '/proc/net/ip6_mr_vif'],
  ] as const)('mroute %s: available exactly when the kernel has %s', async (family, file) => {
    const r = await probeMroute(ns, family);
    const expected = await procExists(file);
    expect(r).toMatchObject({ family, available: expected });
    // This machine's kernel (6.18) has neither: the refusal is ENOPROTOOPT and says which option is unset.
    if (!expected) expect(r).toMatchObject({ errno: 'ENOPROTOOPT', message: expect.stringMatching(/CONFIG_IPV?6?_MROUTE/) });
  });

  it('timer: a sleep lasts at least what was asked, and the figures are ordered', async () => {
    const r = await probeTimer({ micros: 50, count: 200 });
    expect(r).toMatchObject({ requestedUs: 50, count: 200 });
    expect(r.medianUs).toBeGreaterThanOrEqual(50);
    expect(r.minUs).toBeGreaterThanOrEqual(50);
    expect(r.minUs).toBeLessThanOrEqual(r.medianUs);
    expect(r.medianUs).toBeLessThanOrEqual(r.p99Us);
    expect(r.p99Us).toBeLessThanOrEqual(r.maxUs);
  });

  it('fanout-ignore-outgoing while p0 is down: nothing leaves it, so the probe cannot tell (effective null)', async () => {
    const r = await probeFanoutIgnoreOutgoing(ns, 'p0');
    expect(r).toMatchObject({ accepted: true, effective: null, outgoingSeenByControl: 0 });
    expect(r.message).toMatch(/control socket saw none/);
  });

  it('fanout-ignore-outgoing on an up veth: accepted and effective on this kernel (6.7+)', async () => {
    await inNetns(ns, 'ip', ['link', 'set', 'p0', 'up']);
    const r = await probeFanoutIgnoreOutgoing(ns, 'p0');
    expect(r).toMatchObject({ accepted: true, effective: true, outgoingSeenByGroup: 0 });
    expect(r.outgoingSeenByControl).toBe(r.framesSent);
    expect(r.framesSent).toBeGreaterThan(0);
  });

  it('negative control: the same group without the flag sees every outgoing frame (effective false)', async () => {
    const r = await execa('ip', ['netns', 'exec', ns, toolPath('mcr-probe'), 'fanout-ignore-outgoing', '--interface', 'p0', '--omit-flag']);
    const report = JSON.parse(r.stdout) as { accepted: boolean; effective: boolean | null; framesSent: number; outgoingSeenByGroup: number };
    expect(report).toMatchObject({ accepted: true, effective: false });
    expect(report.outgoingSeenByGroup).toBe(report.framesSent);
  });

  it('an interface the namespace does not have is a usage error (exit 2), surfaced as TrafficToolError', async () => {
    const err = await probeFanoutIgnoreOutgoing(ns, 'nosuch0').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrafficToolError);
    expect(err).toMatchObject({ exitCode: 2, stderr: expect.stringContaining("no interface named 'nosuch0'") });
  });
});

describe('mcr-probe command line', () => {
  it.each([
    [[], 'a subcommand is required'],
    [['bogus'], "unknown subcommand 'bogus'"],
    [['mroute'], '--family ipv4|ipv6 is required'],
    [['mroute', '--family', 'ipx'], '--family expects ipv4 or ipv6'],
    [['timer', '--micros', '0'], '--micros expects an integer in 1..1000000'],
    [['timer', '--count', '100001'], '--count expects an integer in 1..100000'],
    [['fanout-ignore-outgoing'], '--interface IFNAME is required'],
    [['fanout-ignore-outgoing', '--interface', 'x'.repeat(16)], '--interface expects an interface name'],
  ])('%j exits 2: %s', async (args, message) => {
    const r = await execa(toolPath('mcr-probe'), args, { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('usage:');
    expect(r.stdout).toBe('');
  });

  it('--help prints the usage and exits 0, also after a subcommand', async () => {
    for (const args of [['--help'], ['timer', '--help']]) {
      const r = await execa(toolPath('mcr-probe'), args);
      expect(r.stdout).toContain('usage: mcr-probe');
    }
  });

  it('the wrappers check their arguments before running anything', async () => {
    await expect(probeMroute('', 'ipv4')).rejects.toThrow(/ns: expected a network namespace name/);
    await expect(probeMroute(ns, 'ipv5' as 'ipv4')).rejects.toThrow(/family/);
    await expect(probeTimer({ micros: 0 })).rejects.toThrow(/micros: expected 1\.\.1000000, got 0/);
    await expect(probeFanoutIgnoreOutgoing(ns, 'x'.repeat(16))).rejects.toThrow(/ifname/);
  });
});
