import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { clearUnicastResponse, filterMdns, serviceTypeOf } from '../../src/reflectors/mdns-filter.js';

const query = (...names: string[]) => dnsPacket.encode({ type: 'query', id: 0, questions: names.map((name) => ({ name, type: 'PTR', class: 'IN' })) });
const answer = (records: dnsPacket.Answer[]) => dnsPacket.encode({ type: 'response', id: 0, flags: dnsPacket.AUTHORITATIVE_ANSWER, answers: records });
const ptr = (name: string, data: string): dnsPacket.Answer => ({ name, type: 'PTR', ttl: 4500, data });

describe('serviceTypeOf', () => {
  it.each([
    ['_ipp._tcp.local', '_ipp._tcp'],
    ['Office Printer._ipp._tcp.local', '_ipp._tcp'],
    ['_printer._sub._http._tcp.local', '_http._tcp'],
    ['_googlecast._tcp.local.', '_googlecast._tcp'],
    ['host.local', null],
    ['_services._dns-sd._udp.local', null],
  ])('%s -> %s', (name, type) => expect(serviceTypeOf(name)).toBe(type));
});

describe('filterMdns', () => {
  it('passes a message the lists do not touch, unchanged', () => {
    expect(filterMdns(query('_ipp._tcp.local'), [{ deny: ['_googlecast._tcp'] }])).toEqual({ kind: 'pass' });
  });

  it('removes a denied question and keeps the others; a query left with nothing is filtered', () => {
    const v = filterMdns(query('_googlecast._tcp.local', '_ipp._tcp.local'), [{ deny: ['_googlecast._tcp'] }]);
    expect(v.kind).toBe('rewritten');
    if (v.kind !== 'rewritten') return;
    expect((dnsPacket.decode(v.payload).questions ?? []).map((q) => q.name)).toEqual(['_ipp._tcp.local']);
    expect(filterMdns(query('_googlecast._tcp.local'), [{ deny: ['_googlecast._tcp'] }])).toEqual({ kind: 'filtered' });
  });

  it('an allow list: only its types pass, in answers (PTR data and SRV/TXT names) and the meta browse', () => {
    const payload = answer([
      ptr('_services._dns-sd._udp.local', '_ipp._tcp.local'),
      ptr('_services._dns-sd._udp.local', '_googlecast._tcp.local'),
      ptr('_googlecast._tcp.local', 'TV._googlecast._tcp.local'),
      { name: 'TV._googlecast._tcp.local', type: 'SRV', ttl: 120, data: { port: 8009, target: 'tv.local' } },
      { name: 'tv.local', type: 'A', ttl: 120, data: '192.0.2.5' },
    ]);
    const v = filterMdns(payload, [{ allow: ['_ipp._tcp'] }]);
    expect(v.kind).toBe('rewritten');
    if (v.kind !== 'rewritten') return;
    const kept = dnsPacket.decode(v.payload).answers!;
    expect(kept.map((a) => [a.name, a.type, (a as { data: unknown }).data])).toEqual([
      ['_services._dns-sd._udp.local', 'PTR', '_ipp._tcp.local'],
      ['tv.local', 'A', '192.0.2.5'],
    ]);
  });

  it('removes link-local A and AAAA records and keeps the rest; the result round-trips as DNS (flush and QU bits kept)', () => {
    const original = dnsPacket.encode({
      type: 'response',
      id: 0,
      flags: dnsPacket.AUTHORITATIVE_ANSWER,
      answers: [
        { name: 'h.local', type: 'A', ttl: 120, flush: true, data: '169.254.7.7' },
        { name: 'h.local', type: 'A', ttl: 120, flush: true, data: '192.0.2.7' },
        { name: 'h.local', type: 'AAAA', ttl: 120, flush: true, data: 'fe80::1' },
        { name: 'h.local', type: 'AAAA', ttl: 120, flush: true, data: 'fd00::7' },
      ],
    });
    const v = filterMdns(original, []);
    expect(v).toMatchObject({ kind: 'rewritten', removed: 2 });
    if (v.kind !== 'rewritten') return;
    const decoded = dnsPacket.decode(v.payload);
    expect(decoded.answers!.map((a) => [(a as { data: unknown }).data, (a as { flush?: boolean }).flush])).toEqual([
      ['192.0.2.7', true],
      ['fd00::7', true],
    ]);
    expect(dnsPacket.encode(decoded).equals(v.payload)).toBe(true);

    const qu = Buffer.from(query('_ipp._tcp.local', '_googlecast._tcp.local'));
    const classAt = qu.length - 2;
    qu.writeUInt16BE(0x8001, classAt); // QU on the last question
    const kept = filterMdns(qu, [{ deny: ['_ipp._tcp'] }]);
    if (kept.kind !== 'rewritten') throw new Error(`expected rewritten, got ${kept.kind}`);
    expect(kept.payload.readUInt16BE(kept.payload.length - 2)).toBe(0x8001);
  });

  it('a message that does not parse: sent as it came without lists, dropped under one', () => {
    const junk = Buffer.from([0, 0, 0, 0, 0, 5]);
    expect(filterMdns(junk, [])).toMatchObject({ kind: 'unparsed', send: true });
    expect(filterMdns(junk, [{ deny: ['_ipp._tcp'] }])).toMatchObject({ kind: 'unparsed', send: false });
  });
});

describe('clearUnicastResponse', () => {
  // dns-packet neither writes nor reads the QU bit (RFC 6762 §5.4: the class's top bit): a question
  // class of 0x8001 is QU + IN, which it decodes as "UNKNOWN_32769".
  const QU_IN = 'UNKNOWN_32769';
  const withClasses = (names: string[], classes: string[]) => {
    const buf = dnsPacket.encode({ type: 'query', id: 0, questions: names.map((name) => ({ name, type: 'PTR', class: 'IN' })) });
    // Each encoded question's class (after its name and type) set to what `classes` asks.
    let at = 12;
    for (const klass of classes) {
      while (buf[at] !== 0 && (buf[at]! & 0xc0) !== 0xc0) at += 1 + buf[at]!;
      at += buf[at] === 0 ? 1 : 2;
      buf.writeUInt16BE(klass === QU_IN ? 0x8001 : 1, at + 2);
      at += 4;
    }
    return buf;
  };
  const classes = (b: Buffer) => (dnsPacket.decode(b).questions ?? []).map((q) => [q.name, q.type, q.class]);

  it('clears the bit in every question, names compressed or not, and changes nothing else', () => {
    const before = withClasses(['_ipp._tcp.local', 'Printer._ipp._tcp.local', '_http._tcp.local'], [QU_IN, 'IN', QU_IN]);
    expect(classes(before).map((q) => q[2])).toEqual([QU_IN, 'IN', QU_IN]);
    const after = clearUnicastResponse(before)!;
    expect(classes(after)).toEqual([
      ['_ipp._tcp.local', 'PTR', 'IN'],
      ['Printer._ipp._tcp.local', 'PTR', 'IN'],
      ['_http._tcp.local', 'PTR', 'IN'],
    ]);
    expect(after.length).toBe(before.length);
    expect(classes(before).map((q) => q[2])).toEqual([QU_IN, 'IN', QU_IN]); // the original is left alone
  });

  it('null: no QU bit, a response, or a message cut short in its questions', () => {
    expect(clearUnicastResponse(query('_ipp._tcp.local'))).toBeNull();
    expect(clearUnicastResponse(answer([ptr('_ipp._tcp.local', 'Printer._ipp._tcp.local')]))).toBeNull();
    const cut = withClasses(['_ipp._tcp.local'], [QU_IN]);
    expect(clearUnicastResponse(cut.subarray(0, cut.length - 3))).toBeNull();
  });
});
