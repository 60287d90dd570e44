import { execFileSync } from 'node:child_process';
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '@mcr/netns-lab';
import { chainLab, pushTraffic, RelayProcess, ruleFor, streamPlan, type RunAs } from './harness.js';
import { tempDir } from '../temp-dirs.js';

// The relay as `nobody` holding only the capabilities named, started through setpriv (ambient
// capabilities, so the worker processes it forks keep them across exec); the config file and the
// socket directory are made nobody's (the harness chowns its temporary directory).
const NOBODY = { uid: 65534, gid: 65534 };

describe('least privilege', () => {
  let lab: Lab;
  let dir: string;
  beforeAll(async () => {
    lab = await chainLab();
    dir = tempDir('mcr-caps-');
    execFileSync('chmod', ['755', dir]);
  });
  afterAll(async () => {
    await lab?.down();
  });

  async function forwardsAs(runAs: RunAs) {
    const streams = streamPlan(2);
    const relay = await RelayProcess.start(lab.topo.relay.ns, { rules: streams.map((s) => ruleFor(s, lab)) }, [], runAs);
    try {
      const { received } = await pushTraffic(lab, streams, { rate: 5000, count: 1000 });
      expect(received.totals.unique).toBe(2000);
      expect(received.totals.duplicates).toBe(0);
      const stats = await relay.result('stats');
      expect(stats.igmp.memberships.filter((m: { joined: boolean }) => m.joined)).toHaveLength(2);
      expect(relay.stderr).toMatch(new RegExp(`running as uid ${runAs.uid} with ${runAs.caps.map((c) => `CAP_${c.toUpperCase()}`).join(', ')}`));
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  }

  it('forwards as nobody with CAP_NET_RAW and CAP_NET_ADMIN only', async () => {
    await forwardsAs({ ...NOBODY, caps: ['net_admin', 'net_raw'] });
  });

  it('forwards as nobody with CAP_NET_RAW alone (the rings\' receive buffer falls back to SO_RCVBUF)', async () => {
    await forwardsAs({ ...NOBODY, caps: ['net_raw'] });
  });

  it('control.group as packaging/mcr.service sets it up: given the socket while the relay holds the group (SupplementaryGroups=), refused by name when it does not', async () => {
    // daemon (gid 1) stands for the unit's mcr-control group: any group nobody is not in by default.
    const config = { control: { group: 'daemon', mode: '0660' }, rules: streamPlan(1).map((s) => ruleFor(s, lab)) };
    const relay = await RelayProcess.start(lab.topo.relay.ns, config, [], { ...NOBODY, caps: ['net_raw'], groups: [1] });
    try {
      const st = lstatSync(relay.control);
      expect({ uid: st.uid, gid: st.gid, mode: st.mode & 0o777 }).toEqual({ uid: NOBODY.uid, gid: 1, mode: 0o660 });
      expect((await relay.result('ping')).pong).toBe(true);
    } finally {
      expect(await relay.stop()).toBe(0);
    }
    await expect(RelayProcess.start(lab.topo.relay.ns, config, [], { ...NOBODY, caps: ['net_raw'] })).rejects.toThrow(/cannot give it group daemon: EPERM/);
  });

  it('without CAP_NET_RAW the start is refused, naming the capability', async () => {
    await expect(RelayProcess.start(lab.topo.relay.ns, { rules: streamPlan(1).map((s) => ruleFor(s, lab)) }, [], { ...NOBODY, caps: [] })).rejects.toThrow(
      /the relay needs CAP_NET_RAW/,
    );
  });
});
