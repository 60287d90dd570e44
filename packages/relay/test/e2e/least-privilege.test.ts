import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '@mcr/netns-lab';
import { chainLab, pushTraffic, RelayProcess, ruleFor, streamPlan, type RunAs } from './harness.js';

// The relay as `nobody` holding only the capabilities named, started through setpriv (ambient
// capabilities, so the worker processes it forks keep them across exec); the config file and the
// socket directory are made nobody's (the harness chowns its temporary directory).
const NOBODY = { uid: 65534, gid: 65534 };

/**
 * What relay-native should do and does not yet (a native change, out of this package's hands):
 * setsockopt(SO_RCVBUFFORCE) failing with EPERM retried as SO_RCVBUF. Built as an LD_PRELOAD shim, it
 * shows that this is the only thing that needs CAP_NET_ADMIN. null when there is no C compiler.
 */
function rcvbufFallbackShim(dir: string): string | null {
  const src = join(dir, 'shim.c');
  const lib = join(dir, 'shim.so');
  writeFileSync(
    src,
    `#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/socket.h>
int setsockopt(int fd, int level, int name, const void *val, socklen_t len) {
  static int (*real)(int, int, int, const void *, socklen_t);
  if (!real) real = (int (*)(int, int, int, const void *, socklen_t))dlsym(RTLD_NEXT, "setsockopt");
  int r = real(fd, level, name, val, len);
  if (r != 0 && errno == EPERM && level == SOL_SOCKET && name == SO_RCVBUFFORCE) r = real(fd, level, SO_RCVBUF, val, len);
  return r;
}
`,
  );
  try {
    execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', lib, src, '-ldl'], { stdio: 'ignore' });
    return lib;
  } catch {
    return null;
  }
}

describe('least privilege', () => {
  let lab: Lab;
  let dir: string;
  beforeAll(async () => {
    lab = await chainLab();
    dir = mkdtempSync(join(tmpdir(), 'mcr-caps-'));
    execFileSync('chmod', ['755', dir]);
  });
  afterAll(async () => {
    await lab?.down();
    rmSync(dir, { recursive: true, force: true });
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

  // Pins today's gap: when relay-native falls back to SO_RCVBUF, this start succeeds and this test
  // must become "forwards with CAP_NET_RAW alone" (and packaging/mcr.service drops CAP_NET_ADMIN).
  it('CAP_NET_RAW alone: refused at start, naming the missing CAP_NET_ADMIN and SO_RCVBUFFORCE', async () => {
    await expect(RelayProcess.start(lab.topo.relay.ns, { rules: streamPlan(1).map((s) => ruleFor(s, lab)) }, [], { ...NOBODY, caps: ['net_raw'] })).rejects.toThrow(
      /EPERM.*CAP_NET_ADMIN is missing: relay-native sets the ring receive buffer with SO_RCVBUFFORCE/,
    );
  });

  it('CAP_NET_RAW alone forwards once SO_RCVBUFFORCE falls back to SO_RCVBUF (the native change, as an LD_PRELOAD shim)', async (ctx) => {
    const shim = rcvbufFallbackShim(dir);
    if (!shim) return ctx.skip('no C compiler (cc) to build the SO_RCVBUF fallback shim');
    process.env.LD_PRELOAD = shim;
    try {
      await forwardsAs({ ...NOBODY, caps: ['net_raw'] });
    } finally {
      delete process.env.LD_PRELOAD;
    }
  });
});
