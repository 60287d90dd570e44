// listeners and querierless on real namespaces against mcr: short runs of both families pass, and
// their negative controls fail on the check they exist for. Needs an mcr with forward "listeners"
// and its querier. Runtime: about 5 minutes (each listeners run is --seconds 20 plus ~15 s of lab and
// tail; each querierless run two arms of 20 s).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listNamespaces } from '@mcr/netns-lab';
import { runScenario } from '../../src/scenarios/index.js';
import { cli, expectPassed } from './scenario-cli.js';

const short = { seconds: 20, seed: 7 } as const;
const LONG = 240_000;

// The labs of these runs are not beds: check that none is left behind.
let before: Set<string>;
beforeAll(async () => {
  before = new Set(await listNamespaces());
});
afterAll(async () => {
  expect((await listNamespaces()).filter((n) => !before.has(n))).toEqual([]);
});

describe('listeners', () => {
  it.each(['ipv4', 'ipv6'] as const)('%s: joins within the join bound, leaves within the leave bound, no duplicate, the querier hands over', async (family) => {
    const r = await runScenario('listeners', { ...short, family });
    expectPassed(r);
    expect(r.rows.length).toBe(3 * 2);
  }, LONG);

  it('negative control ignore-leaves: groups outlive their last listener, and the CLI exits 1 naming the leave bound', async () => {
    const { code, out } = await cli('run', 'listeners', '--seconds', '20', '--seed', '7', '--inject-bug', 'ignore-leaves');
    expect(code).toBe(1);
    expect(out).toMatch(/after its last listener left \(leave bound 800 ms/);
  }, LONG);
});

describe('querierless', () => {
  it('the stream stops without a querier and continues with mcr\'s', async () => {
    expectPassed(await runScenario('querierless', {}));
  }, LONG);

  it('negative control no-querier: the cure without its querier stops too', async () => {
    const r = await runScenario('querierless', { injectBug: 'no-querier' });
    expect(r.passed).toBe(false);
    expect(r.violations.map((v) => v.metric)).toContain('streamStopped');
  }, LONG);
});
