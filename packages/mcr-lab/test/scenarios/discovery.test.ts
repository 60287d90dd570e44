// The discovery scenario end to end, both families: real clients find across the reflector, with the
// senders' addresses and with `source: "relay"` (no routing: answers only through the reply proxy),
// nothing is found without it, a denied service stays hidden, the loop topologies stay within one
// copy per reflector; and its negative controls (source original without routing, --inject-bug
// no-loop-cache) are caught. Runtime: ~2.5 minutes per family (a client looks up to 6 s, wsdd 10 s,
// where nothing is to be found).
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/scenarios/index.js';
import { expectBedsClosedAfterAll } from '../beds-closed.js';
import { cli, expectPassed } from './scenario-cli.js';

expectBedsClosedAfterAll();

describe('discovery', () => {
  for (const family of ['ipv4', 'ipv6'] as const) {
    it(`${family}: found across with both sources and behind a snooping switch, not without the reflector or its joins, a denied service hidden, loops bounded`, async () => {
      const r = await runScenario('discovery', { family });
      expectPassed(r);
      const row = (check: string, client: string) => r.rows.find((x) => x.check === check && String(x.client).includes(client));
      const found = (check: string, client: string) => row(check, client)?.found;
      const v4 = family === 'ipv4';
      expect(found('reflected', '_ipp._tcp')).toBe(true);
      expect(found('reflected', '_googlecast._tcp')).toBe(true);
      // gssdp-discover opens no IPv6 client: its row says so instead of a verdict.
      expect(found('reflected', 'gssdp-discover')).toBe(v4 ? true : null);
      if (!v4) expect(row('reflected', 'gssdp-discover')?.expected).toBe('not supported by the tool');
      // wsdd over IPv6 answers a link-local source: found only with source relay.
      expect(found('reflected', 'wsdd')).toBe(v4);
      expect(found('no reflector', '_ipp._tcp')).toBe(false);
      expect(found('no reflector', 'gssdp-discover')).toBe(v4 ? false : null);
      expect(found('no reflector', 'wsdd')).toBe(false);
      expect(found('deny _googlecast._tcp', '_ipp._tcp')).toBe(true);
      expect(found('deny _googlecast._tcp', '_googlecast._tcp')).toBe(false);
      for (const client of ['_ipp._tcp', '_googlecast._tcp', 'wsdd']) expect(found('source relay, no routing', client), client).toBe(true);
      expect(found('source relay, no routing', 'gssdp-discover')).toBe(v4 ? true : null);
      expect(found('source original, no routing', 'wsdd')).toBe(false);
      expect(found('source original, no routing', 'gssdp-discover')).toBe(v4 ? false : null);
      expect(String(row('source relay, no routing', 'wsdd')?.detail)).toMatch(/home-wsd: [1-9]/);
      // Behind a snooping bridge the relay's joins bring the group (IPv4: SSDP; IPv6: mDNS); without them nothing.
      const snooped = v4 ? 'gssdp-discover' : '_ipp._tcp';
      expect(found('snooping switch', snooped)).toBe(true);
      expect(found('snooping switch, no joins', snooped)).toBe(false);
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
