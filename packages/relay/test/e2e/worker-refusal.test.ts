import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { run, type Lab } from '@mcr/netns-lab';
import { CRASH_LOOP } from '../../src/workers/worker-pool.js';
import { pushTraffic, RelayProcess, ruleFor, streamPlan, useChainLab, waitFor } from './harness.js';

// A worker that restarts and refuses the table its siblings run must not stay in its fanout group:
// the group would hash part of the input's flows to a ring nobody reads. It leaves (its process ends)
// and its slot is retried like a crash: backoff, then "failing" after CRASH_LOOP.deaths deaths.
//
// The fault is real: a unicast output gets one UDP socket per TTL, so rules whose unicast outputs use
// every TTL (1..255) need 255 descriptors, and a worker forked after the supervisor's RLIMIT_NOFILE was
// lowered cannot open them (EMFILE) while its older sibling holds them already. The limit leaves room
// for what a worker opens while it starts (its modules load several files at once).

describe('a restarted worker that refuses its first table', () => {
  let lab: Lab;
  useChainLab((l) => (lab = l));

  it('leaves the fanout group (no flow is lost to it) and is retried like a crash until it takes the table', async () => {
    const streams = streamPlan(8);
    const sink = lab.topo.sinks[0]!;
    const out = lab.topo.relay.outputs[0]!.ifname;
    // Four rules of at most 64 outputs each, together one output per TTL.
    const wide = [0, 1, 2, 3].map((r) => ({
      id: `wide${r}`,
      join: false,
      input: { interface: lab.topo.relay.inputs[0]!.ifname, group: '239.1.100.1', port: 5100 + r },
      outputs: Array.from({ length: r < 3 ? 64 : 63 }, (_, k) => ({ interface: out, group: sink.ip, port: 7000 + k, ttl: r * 64 + k + 1 })),
    }));
    const relay = await RelayProcess.start(lab.topo.relay.ns, { workers: 2, rules: [...streams.map((s) => ruleFor(s, lab)), ...wide] });
    const supervisor = relay.child.pid!;
    const slot1 = async () => (await relay.result('stats')).workers[1];
    try {
      // Room for the supervisor and for a new worker to start (about 100 descriptors at once while its
      // modules load), not for 255 more sockets. The hard limit: Node raises its soft limit to the hard
      // one when it starts.
      const limit = Math.max(160, readdirSync(`/proc/${supervisor}/fd`).length + 16);
      await run('prlimit', ['--pid', String(supervisor), `--nofile=${limit}:${limit}`]);
      process.kill((await slot1()).pid, 'SIGKILL');
      await waitFor('slot 1 failing', async () => (await slot1()).state === 'failing', 20_000);
      const failing = await slot1();
      expect(failing).toMatchObject({ alive: false, pid: null, restarts: CRASH_LOOP.deaths });
      expect(failing.lastError).toMatch(/^table refused: .*EMFILE/);
      expect(relay.stderr).toMatch(/worker in0#1 refused the rule table its siblings run: .*EMFILE.*; it leaves the fanout group and is retried/);
      expect(relay.stderr).toMatch(/worker in0#1 table refused: .*: 5 deaths within 60 s, failing; next attempt in 30 s/);

      // Worker 0 alone in the group: every flow reaches it.
      const during = await pushTraffic(lab, streams, { rate: 4000, count: 300 });
      expect(during.received.streams.map((s) => s.unique)).toEqual(streams.map(() => 300));

      // The fault clears (the rule that needs the sockets goes; raising a hard limit again would need
      // CAP_SYS_RESOURCE): the next attempt takes the table and both workers forward.
      for (const rule of wide) await relay.result('remove', { id: rule.id });
      await waitFor('slot 1 running', async () => (await slot1()).state === 'running', CRASH_LOOP.retryMs + 10_000);
      const after = await pushTraffic(lab, streams, { rate: 4000, count: 300 });
      expect(after.received.totals).toMatchObject({ unique: 8 * 300, duplicates: 0 });
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });
});
