// chaos on real namespaces: every fault kind once against mcr (2 workers, --state on its own tmpfs),
// recovery within each kind's bound, no duplicate, the rules kept; and its two negative controls,
// which must fail: workers that are not restarted, a state file that is never written.
import { describe, expect, it } from 'vitest';
import { FAULT_KINDS } from '../../src/scenarios/chaos-faults.js';
import { longestStall } from '../../src/scenarios/chaos.js';
import { runScenario } from '../../src/scenarios/index.js';
import { expectBedsClosedAfterAll } from '../beds-closed.js';

expectBedsClosedAfterAll();

const short = { seconds: 10, streams: 4, seed: 7 };

describe('chaos', () => {
  it('measures a stall as the longest gap between increases after the fault', () => {
    expect(longestStall([[0, 1], [100, 2], [200, 2], [700, 3], [720, 4]], 100)).toBe(600);
    expect(longestStall([[0, 1], [100, 2], [200, 2], [300, 2]], 100)).toBe(200); // still stalled at the end
  });

  it('passes with every fault kind once: bounded loss, no duplicate, the rules and resources kept', async () => {
    const r = await runScenario('chaos', short);
    expect(r.violations, JSON.stringify(r.violations, null, 1)).toEqual([]);
    expect(r.rows.map((row) => row.fault)).toEqual([...FAULT_KINDS]);
    for (const row of r.rows) expect(row.windows).toBeGreaterThanOrEqual(1);
    expect((r.details as { rules: string[] }).rules).toEqual(['s0', 's1', 's2', 's3']);
  });

  it('negative control no-restart: a killed worker stays dead, and the scenario fails', async () => {
    const r = await runScenario('chaos', { ...short, injectBug: 'no-restart' });
    expect(r.passed).toBe(false);
    expect(r.violations.map((v) => v.metric)).toContain('fault:kill-worker');
  });

  it('negative control forget-state: the run-time rule is lost with the supervisor, and the full disk goes unnoticed', async () => {
    const r = await runScenario('chaos', { ...short, injectBug: 'forget-state' });
    expect(r.passed).toBe(false);
    expect(r.violations.map((v) => v.metric)).toEqual(expect.arrayContaining(['fault:enospc', 'rules']));
  });
});
