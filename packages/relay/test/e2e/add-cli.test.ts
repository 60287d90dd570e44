import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Lab } from '@mcr/netns-lab';
import { MCR_BIN, RelayProcess, ruleFor, streamPlan, useChainLab } from './harness.js';

// `mcr add` as a user types it, against a running relay (no traffic): its endpoints
// (ranges, IPv6 in brackets, --source, --no-join) reach the relay as the config file's rule fields,
// and what the relay refuses comes back naming the field.

function mcr(relay: RelayProcess, args: string[]) {
  return spawnSync(process.execPath, [MCR_BIN, ...args, '--control', relay.control], { encoding: 'utf8' });
}

describe('mcr add: ranges, IPv6, SSM and --no-join from the command line', () => {
  let lab: Lab;
  useChainLab((l) => (lab = l));

  it('adds them as the normalised rules, lists them as they are written, and refuses with the field path', async () => {
    const [s0] = streamPlan(1);
    const relay = await RelayProcess.start(lab.topo.relay.ns, { rules: [ruleFor(s0!, lab)] });
    try {
      const range = mcr(relay, ['add', '--id', 'range', '--input', 'in0:239.77.0.0/24:5001', '--output', 'out0:239.78.0.0/24:5001:4', '--no-join', '--json']);
      expect(range.status, range.stderr).toBe(0);
      expect(JSON.parse(range.stdout).rule).toEqual({
        id: 'range',
        input: { interface: 'in0', group: '239.77.0.0', prefixLength: 24, port: 5001, family: 'ipv4' },
        join: false,
        outputs: [{ interface: 'out0', group: '239.78.0.0', prefixLength: 24, port: 5001, ttl: 4, ttlMode: 'decrement' }],
      });
      const six = mcr(relay, ['add', '--id', 'six', '--input', 'in0:[FF3E::77:0]/120:5001', '--source', 'fd00:0:0:1::1', '--output', 'out0:[ff3e::78:0]/120:5001', '--no-join', '--json']);
      expect(six.status, six.stderr).toBe(0);
      expect(JSON.parse(six.stdout).rule.input).toEqual({ interface: 'in0', group: 'ff3e::77:0', prefixLength: 120, port: 5001, source: 'fd00:0:0:1::1', family: 'ipv6' });

      const list = mcr(relay, ['list']);
      expect(list.stdout).toContain('range  in0:239.77.0.0/24:5001 -> out0:239.78.0.0/24:5001:4  no-join');
      expect(list.stdout).toContain('six  in0:[ff3e::77:0]/120:5001 from fd00:0:0:1::1 -> out0:[ff3e::78:0]/120:5001:16  no-join');

      const mixed = mcr(relay, ['add', '--input', 'in0:[ff3e::79:1]:5001', '--output', 'out0:239.9.9.9:5001']);
      expect(mixed.status).toBe(1);
      expect(mixed.stderr).toContain('rule.outputs[0].group: is IPv4 but input.group is IPv6');
      const same = mcr(relay, ['add', '--input', 'in0:239.77.0.0/24:5001', '--output', 'out0:239.79.0.1:5001', '--no-join']);
      expect(same.status).toBe(1);
      expect(same.stderr).toContain('rule.input: duplicate input range: rule "range" already relays 239.77.0.0/24:5001 on in0');
      expect((await relay.result('list')).rules.map((r: { id: string }) => r.id)).toEqual([s0!.id, 'range', 'six']);
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });
});
