import { describe, expect, it } from 'vitest';
import type { Lab } from '@mcr/netns-lab';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { WORKER_DEFAULTS } from '@mcr/relay-native';
import { MCR_BIN, RelayProcess, ruleFor, streamPlan, useChainLab, waitFor } from './harness.js';

const run = promisify(execFile);

describe('logs and fanout visibility', () => {
  let lab: Lab;
  useChainLab((l) => (lab = l));

  it('logFormat json: every line one JSON object; the fanout group id and mode at info, and in stats', async () => {
    const relay = await RelayProcess.start(lab.topo.relay.ns, { workers: 2, fanout: { mode: 'lb' }, logFormat: 'json', rules: streamPlan(1).map((s) => ruleFor(s, lab)) });
    let stats;
    let human = '';
    try {
      stats = await relay.result('stats');
      human = (await run(process.execPath, [MCR_BIN, 'stats', '--control', relay.control])).stdout;
    } finally {
      expect(await relay.stop()).toBe(0);
    }
    const lines = relay.stderr.trim().split('\n');
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const r of records) {
      expect(typeof r.time).toBe('string');
      expect(['error', 'warn', 'info', 'debug']).toContain(r.level);
      expect(typeof r.msg).toBe('string');
    }
    const input = lab.topo.relay.inputs[0]!.ifname;
    const fanoutLine = records.find((r) => r.fanoutId !== undefined);
    expect(fanoutLine).toMatchObject({ level: 'info', interface: input, fanoutMode: 'lb' });
    expect(typeof fanoutLine!.fanoutId).toBe('number');
    const state = stats.interfaces.find((s: { name: string }) => s.name === input);
    expect(state.fanout).toEqual({ id: fanoutLine!.fanoutId, mode: 'lb' });
    expect(human).toMatch(new RegExp(`^  ${input} ifindex \\d+ up ipv4 \\S+ ipv6 [0-9a-f: ]+ mtu 1500  fanout group ${fanoutLine!.fanoutId} mode lb$`, 'm'));
    const output = stats.interfaces.find((s: { name: string }) => s.name === lab.topo.relay.outputs[0]!.ifname);
    expect(output.fanout).toBeNull();
    expect(records.some((r) => r.event === 'final' && typeof r.forwarded === 'number')).toBe(true);
  });

  it('every worker reports the pacing it got: the data plane\'s adaptive default, a configured budget, a fixed window', async () => {
    const input = lab.topo.relay.inputs[0]!.ifname;
    const cases = [
      { dataPlane: undefined, want: { coalesceMicros: 0, latencyBudgetMicros: WORKER_DEFAULTS.latencyBudgetMicros }, text: `pacing adaptive, latency budget ${WORKER_DEFAULTS.latencyBudgetMicros} us` },
      { dataPlane: { latencyBudgetMicros: 120 }, want: { coalesceMicros: 0, latencyBudgetMicros: 120 }, text: 'pacing adaptive, latency budget 120 us' },
      { dataPlane: { coalesceMicros: 300 }, want: { coalesceMicros: 300 }, text: 'waits a fixed 300 us' },
    ];
    for (const c of cases) {
      const relay = await RelayProcess.start(lab.topo.relay.ns, {
        logFormat: 'json',
        ...(c.dataPlane ? { dataPlane: c.dataPlane } : {}),
        rules: streamPlan(1).map((s) => ruleFor(s, lab)),
      });
      const pacingLine = () =>
        relay.stderr
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .find((r) => r.latencyBudgetMicros !== undefined);
      try {
        await waitFor('the pacing log line', async () => pacingLine() !== undefined);
      } finally {
        expect(await relay.stop()).toBe(0);
      }
      expect(pacingLine()).toMatchObject({ level: 'info', interface: input, ...c.want });
      expect(pacingLine()!.msg).toContain(c.text);
    }
  });
});
