import { describe, expect, it } from 'vitest';
import { UsageError } from '@mcr/cli-kit';
import { DEFAULTS } from '@mcr/relay';
import { MAX_PAYLOAD, MIN_PAYLOAD } from '@mcr/netns-lab';
import { normaliseScenarioOptions, scenarioDefaults, ScenarioUsageError } from '../../src/scenarios/index.js';

function refusal(name: string, input: object): string {
  try {
    normaliseScenarioOptions(name, input);
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioUsageError);
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a ScenarioUsageError');
}

// The options' schema: the CLI's strings and a TypeScript caller's numbers go through the same checks.
describe('scenario options schema', () => {
  it('takes numbers or their text, and the family', () => {
    expect(normaliseScenarioOptions('multi-stream', { rate: '5000', count: 100, size: '512', maxLoss: '0.5', family: 'ipv6' } as object)).toMatchObject({ rate: 5000, count: 100, size: 512, maxLoss: 0.5, family: 'ipv6' });
    expect(normaliseScenarioOptions('scaling', { streams: [1, '3'] } as object).streams).toEqual([1, 3]);
    expect(normaliseScenarioOptions('multi-stream', { streams: ' 7 ' }).streams).toEqual([7]);
  });

  it('names the option as its flag, with the expectation and the value', () => {
    expect(refusal('multi-stream', { rate: 'fast' })).toBe('--rate: must be an integer 0..10000000, got "fast"');
    expect(refusal('multi-stream', { size: 9000 })).toBe('--size: must be an integer 64..8972, got 9000');
    expect(refusal('multi-stream', { maxLoss: 101 })).toBe('--max-loss: must be a number 0..100, got 101');
    expect(refusal('multi-stream', { family: 'ipv5' })).toBe('--family: must be one of ipv4 | ipv6, got "ipv5"');
    expect(refusal('multi-stream', { fanoutMode: 'rr' })).toBe('--fanout-mode: must be one of hash | cpu | lb | off, got "rr"');
    expect(refusal('multi-stream', { relay: 'vpp' })).toBe('--relay: must be one of mcr | mcr-tc | socat | socat-default | kernel | kernel-mfc | kernel-tc | direct, got "vpp"');
    expect(refusal('multi-stream', { injectBug: 'segfault' })).toMatch(/^--inject-bug: must be one of fanout-off \| no-igmp/);
    expect(refusal('scaling', { streams: '1,x' })).toMatch(/^--streams: /);
    expect(refusal('multi-stream', { streams: 0 })).toMatch(/^--streams: /);
    expect(refusal('multi-stream', { rates: 5 })).toBe('--rates: unknown option');
    // soak and loop take IPv6 too (lab6: IPv6 rule churn; hop limit as the loop's TTL).
    expect(normaliseScenarioOptions('soak', { family: 'ipv6' }).family).toBe('ipv6');
  });
});

describe('mcr-lab run usage errors', () => {
  it('exit 2 with the flag, the value and the command\'s help', async () => {
    const { main } = await import('../../src/cli.js');
    const err: string[] = [];
    expect(await main(['run', 'multi-stream', '--family', 'ipv5'], { out: () => {}, err: (s) => err.push(s) })).toBe(2);
    expect(err.join('\n')).toMatch(/^mcr-lab: --family: must be one of ipv4 \| ipv6, got "ipv5"\nusage: mcr-lab run </);
  });
});

describe('mcr-lab run --help', () => {
  async function help(...argv: string[]): Promise<string> {
    const { main } = await import('../../src/cli.js');
    const out: string[] = [];
    expect(await main(['run', ...argv, '--help'], { out: (s) => out.push(s), err: () => {} })).toBe(0);
    return out.join('\n');
  }

  it('states each bound and default from the flag table and the scenarios\' defaults', async () => {
    const text = await help();
    expect(text).toMatch(new RegExp(`--size BYTES +UDP payload \\(${MIN_PAYLOAD}\\.\\.${MAX_PAYLOAD}; default ${scenarioDefaults('multi-stream').size}\\)`));
    expect(text).toMatch(new RegExp(`--workers N +mcr workers \\(1\\.\\.${DEFAULTS.maxWorkers}; default ${DEFAULTS.workers}, duplication 2, chaos 2\\)`));
    expect(text).toContain(`scaling ${scenarioDefaults('scaling').streams.join(',')}`);
    for (const flag of ['--duration', '--seconds', '--seed', '--inject-bug']) expect(text).toContain(flag);
  });

  it('for one scenario: its defaults, and only the flags it takes', async () => {
    const chaos = await help('chaos');
    expect(chaos).toMatch(/--workers N +mcr workers \(1\.\.\d+; default 2\)/);
    expect(chaos).toMatch(/--inject-bug NAME .*\(no-restart \| forget-state\)/);
    expect(chaos).toContain('--seed');
    expect(chaos).not.toContain('--duration');
    expect(chaos).not.toContain('--relay');
    const multi = await help('multi-stream');
    expect(multi).toMatch(/--streams N .*default 4\)/);
    expect(multi).not.toContain('--seconds');
  });
});
