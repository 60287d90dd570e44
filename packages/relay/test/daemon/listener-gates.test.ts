import { describe, expect, it } from 'vitest';
import type { AddressFamily } from '@mcr/relay-native';
import type { Rule } from '../../src/config/types.js';
import { NATIVE_LIMITS } from '../../src/config/limits.js';
import { gatesFor, onDemandJoins, type SegmentLookup } from '../../src/daemon/listener-gates.js';
import type { GroupForwarding } from '../../src/listeners/listener-table.js';

// What the output segments' listeners mean for the data plane's gates and the input's on-demand
// joins, for exact rules, offset-mapped ranges, ranges folded onto one group, and SSM.

const out = (iface: string, group: string, extra: Partial<Rule['outputs'][number]> = {}): Rule['outputs'][number] => ({
  interface: iface,
  group,
  port: 6001,
  ttl: 8,
  ttlMode: 'decrement',
  forward: 'listeners',
  ...extra,
});

const rule = (input: Partial<Rule['input']>, outputs: Rule['outputs'], join?: Rule['join']): Rule => ({
  id: 'r',
  input: { interface: 'in0', group: '239.1.0.0', port: 5001, family: 'ipv4', ...input },
  outputs,
  ...(join === undefined ? {} : { join }),
});

const any: GroupForwarding = { mode: 'exclude', blocked: [] };

function lookup(segments: Record<string, Record<string, GroupForwarding>>): SegmentLookup {
  return (iface: string, family: AddressFamily) => {
    const s = segments[`${iface}|${family}`];
    return s ? new Map(Object.entries(s)) : null;
  };
}

describe('gates of a listeners output', () => {
  it('an output that always forwards has no gate; a listeners output without a segment or a listener has an empty one', () => {
    const r = rule({ group: '239.1.0.1' }, [out('a', '239.9.0.1', { forward: undefined }), out('b', '239.9.0.1'), out('c', '239.9.0.1')]);
    const l = lookup({ 'c|ipv4': { '239.9.0.2': any } });
    expect(gatesFor(r, r.outputs[0]!, l)).toBeUndefined();
    expect(gatesFor(r, r.outputs[1]!, l)).toEqual([]);
    expect(gatesFor(r, r.outputs[2]!, l)).toEqual([]);
  });

  it('an exact rule is gated by its output group, with the listeners\' source filter', () => {
    const r = rule({ group: '239.1.0.1' }, [out('b', '239.9.0.1')]);
    expect(gatesFor(r, r.outputs[0]!, lookup({ 'b|ipv4': { '239.9.0.1': { mode: 'include', sources: ['10.0.0.9', '10.0.0.2'] } } }))).toEqual([
      { group: '239.9.0.1', mode: 'include', sources: ['10.0.0.2', '10.0.0.9'] },
    ]);
    expect(gatesFor(r, r.outputs[0]!, lookup({ 'b|ipv4': { '239.9.0.1': { mode: 'exclude', blocked: ['10.0.0.3'] } } }))).toEqual([
      { group: '239.9.0.1', mode: 'exclude', sources: ['10.0.0.3'] },
    ]);
  });

  it('an offset-mapped range gates each listened group of the output range, and nothing outside it', () => {
    const r = rule({ group: '239.1.0.0', prefixLength: 24 }, [out('b', '239.9.0.0', { prefixLength: 24 })]);
    const l = lookup({ 'b|ipv4': { '239.9.0.7': any, '239.9.1.7': any, '239.9.0.200': any } });
    expect(gatesFor(r, r.outputs[0]!, l)?.map((g) => g.group)).toEqual(['239.9.0.200', '239.9.0.7']);
  });

  it('IPv6 and the family: an IPv4 segment\'s listeners do not open an IPv6 output on the same interface', () => {
    const r = rule({ group: 'ff3e::1:0', prefixLength: 112, family: 'ipv6' }, [out('b', 'ff3e::9:0', { prefixLength: 112 })]);
    const l = lookup({ 'b|ipv4': { '239.9.0.7': any }, 'b|ipv6': { 'ff3e::9:7': any } });
    expect(gatesFor(r, r.outputs[0]!, l)).toEqual([{ group: 'ff3e::9:7', mode: 'exclude', sources: [] }]);
  });
});

describe('gates past the data plane\'s limits widen, never narrow', () => {
  const r = rule({ group: '239.1.0.0', prefixLength: 16 }, [out('b', '239.9.0.0', { prefixLength: 16 })]);
  const many = (n: number) => Array.from({ length: n }, (_, i) => `10.0.${i >> 8}.${i & 255}`);

  it('an include list longer than a gate holds becomes every source; a long exclude list keeps what fits', () => {
    const l = lookup({ 'b|ipv4': { '239.9.0.1': { mode: 'include', sources: many(NATIVE_LIMITS.maxListenerSourcesPerGate + 1) }, '239.9.0.2': { mode: 'exclude', blocked: many(100) } } });
    const gates = gatesFor(r, r.outputs[0]!, l)!;
    expect(gates[0]).toEqual({ group: '239.9.0.1', mode: 'exclude', sources: [] });
    expect(gates[1]!.sources).toHaveLength(NATIVE_LIMITS.maxListenerSourcesPerGate);
  });

  it('more listened groups than an output may gate lift its gate: it sends everything', () => {
    const groups = Object.fromEntries(Array.from({ length: NATIVE_LIMITS.maxListenerGroupsPerOutput + 1 }, (_, i) => [`239.9.${i >> 8}.${i & 255}`, any]));
    expect(gatesFor(r, r.outputs[0]!, lookup({ 'b|ipv4': groups }))).toBeUndefined();
  });
});

describe('on-demand joins', () => {
  it('a rule that does not join on demand joins nothing here', () => {
    const r = rule({ group: '239.1.0.1' }, [out('b', '239.9.0.1')]);
    expect(onDemandJoins(r, lookup({ 'b|ipv4': { '239.9.0.1': any } }))).toEqual([]);
  });

  it('a listener for an output group pulls the input group at the same offset (translation)', () => {
    const r = rule({ group: '239.1.0.0', prefixLength: 24 }, [out('b', '239.9.0.0', { prefixLength: 24 })], 'on-demand');
    expect(onDemandJoins(r, lookup({ 'b|ipv4': { '239.9.0.7': any } }))).toEqual([{ interface: 'in0', family: 'ipv4', group: '239.1.0.7' }]);
    expect(onDemandJoins(r, lookup({ 'b|ipv4': {} }))).toEqual([]);
  });

  it('a range folded onto one output group needs every group of the range once someone listens', () => {
    const r = rule({ group: '239.1.0.0', prefixLength: 30 }, [out('b', '239.9.0.1')], 'on-demand');
    expect(onDemandJoins(r, lookup({ 'b|ipv4': { '239.9.0.1': any } })).map((j) => j.group)).toEqual(['239.1.0.0', '239.1.0.1', '239.1.0.2', '239.1.0.3']);
  });

  it('source lists of several outputs merge (RFC 4605); EXCLUDE anywhere joins any-source', () => {
    const r = rule({ group: '239.1.0.1' }, [out('b', '239.9.0.1'), out('c', '239.9.0.1')], 'on-demand');
    const include = lookup({ 'b|ipv4': { '239.9.0.1': { mode: 'include', sources: ['10.0.0.2'] } }, 'c|ipv4': { '239.9.0.1': { mode: 'include', sources: ['10.0.0.1', '10.0.0.2'] } } });
    expect(onDemandJoins(r, include)).toEqual([
      { interface: 'in0', family: 'ipv4', group: '239.1.0.1', source: '10.0.0.1' },
      { interface: 'in0', family: 'ipv4', group: '239.1.0.1', source: '10.0.0.2' },
    ]);
    const mixed = lookup({ 'b|ipv4': { '239.9.0.1': { mode: 'include', sources: ['10.0.0.2'] } }, 'c|ipv4': { '239.9.0.1': any } });
    expect(onDemandJoins(r, mixed)).toEqual([{ interface: 'in0', family: 'ipv4', group: '239.1.0.1' }]);
  });

  it('a source-specific rule joins its own source, and only while a listener admits it', () => {
    const r = rule({ group: '232.1.0.1', source: '10.0.0.5' }, [out('b', '232.9.0.1')], 'on-demand');
    expect(onDemandJoins(r, lookup({ 'b|ipv4': { '232.9.0.1': any } }))).toEqual([{ interface: 'in0', family: 'ipv4', group: '232.1.0.1', source: '10.0.0.5' }]);
    expect(onDemandJoins(r, lookup({ 'b|ipv4': { '232.9.0.1': { mode: 'exclude', blocked: ['10.0.0.5'] } } }))).toEqual([]);
    expect(onDemandJoins(r, lookup({ 'b|ipv4': { '232.9.0.1': { mode: 'include', sources: ['10.0.0.6'] } } }))).toEqual([]);
  });
});
