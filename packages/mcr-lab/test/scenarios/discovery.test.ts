// The discovery scenario end to end, both families: real clients find across the reflector, nothing
// is found without it, a denied service stays hidden, the loop topologies stay within one copy per
// reflector; and its negative control (--inject-bug no-loop-cache) is caught. Runtime: ~1 minute per
// family (each client looks up to 6 s where nothing is to be found).
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/scenarios/index.js';
import { expectBedsClosedAfterAll } from '../beds-closed.js';
import { cli, expectPassed } from './scenario-cli.js';

expectBedsClosedAfterAll();

describe('discovery', () => {
  for (const family of ['ipv4', 'ipv6'] as const) {
    it(`${family}: found across, not without the reflector, a denied service hidden, loops bounded`, async () => {
      const r = await runScenario('discovery', { family });
      expectPassed(r);
      const found = (check: string, client: string) => r.rows.find((x) => x.check === check && String(x.client).includes(client))?.found;
      expect(found('reflected', '_ipp._tcp')).toBe(true);
      expect(found('reflected', '_googlecast._tcp')).toBe(true);
      // gssdp-discover and wsdd run over IPv4 only (the scenario says why).
      expect(found('reflected', 'gssdp-discover')).toBe(family === 'ipv4' ? true : undefined);
      expect(found('reflected', 'wsdd')).toBe(family === 'ipv4' ? true : undefined);
      expect(found('no reflector', '_ipp._tcp')).toBe(false);
      expect(found('no reflector', 'gssdp-discover')).toBe(family === 'ipv4' ? false : undefined);
      expect(found('deny _googlecast._tcp', '_ipp._tcp')).toBe(true);
      expect(found('deny _googlecast._tcp', '_googlecast._tcp')).toBe(false);
      expect(r.rows.filter((x) => String(x.check).startsWith('loop')).map((x) => [x.check, x.copies])).toEqual([
        ['loop: segment', 1],
        ['loop: ring', 2],
      ]);
    });
  }

  it('no-loop-cache is caught: the loop topologies carry more copies than one per reflector (CLI exit 1)', async () => {
    const r = await cli('run', 'discovery', '--inject-bug', 'no-loop-cache');
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toMatch(/the reflectors loop/);
  });
});
