// The soak scenario, shortened to seconds: it passes against mcr, and its duplicate check is proved
// able to fail (fanout-off). The full 10-minute soak is a bench target (bench:soak), not part of CI.
import { describe, expect, it } from 'vitest';
import { normaliseScenarioOptions, renderReport, runScenario, ScenarioUsageError } from '../../src/scenarios/index.js';
import { expectBedsClosedAfterAll } from '../beds-closed.js';

expectBedsClosedAfterAll();

describe('soak (short)', () => {
  it('options: --duration is for soak only, and soak defaults to 0.01 % loss', () => {
    expect(normaliseScenarioOptions('soak')).toMatchObject({ durationSec: 600, maxLoss: 0.01, relay: 'mcr' });
    expect(() => normaliseScenarioOptions('multi-stream', { duration: 5 })).toThrow(ScenarioUsageError);
    expect(() => normaliseScenarioOptions('soak', { relay: 'socat' })).toThrow(/soak drives mcr's control socket/);
  });

  it('passes for 15 s of rule changes under traffic: no loss, flat memory and descriptors', async () => {
    const r = await runScenario('soak', { duration: 15, rate: 10_000 });
    expect(r.passed, renderReport(r)).toBe(true);
    const d = r.details as { changes: number; fdGrowth: number; samples: unknown[] };
    expect(d.changes).toBeGreaterThanOrEqual(10);
    expect(d.samples.length).toBeGreaterThanOrEqual(3);
  });

  it('negative control: fanout-off is caught as duplicates', async () => {
    const r = await runScenario('soak', { duration: 10, rate: 5000, injectBug: 'fanout-off' });
    expect(r.passed).toBe(false);
    expect(r.violations.map((v) => v.metric)).toContain('duplicates');
  });
});
