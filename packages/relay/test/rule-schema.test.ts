import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config/config-error.js';
import { RELAY_LIMITS } from '../src/config/limits.js';
import { parseRule } from '../src/config/rule-schema.js';

// The rule fields for IPv6, ranges, SSM, join, link-local scopes), checked on their own:
// interfaces are taken as existing Ethernet ones, so only the addresses are under test.
const options = { interfaceExists: () => true, isEthernet: () => true };
const v4 = (over: Record<string, unknown> = {}, input: Record<string, unknown> = {}, outputs: Record<string, unknown>[] = [{}]) => ({
  id: 'r',
  input: { interface: 'in0', group: '239.1.1.1', port: 5001, ...input },
  outputs: outputs.map((o) => ({ interface: 'out0', group: '239.9.9.1', port: 6001, ...o })),
  ...over,
});
const v6 = (over: Record<string, unknown> = {}, input: Record<string, unknown> = {}, outputs: Record<string, unknown>[] = [{}]) =>
  v4(over, { group: 'ff3e::1:2', ...input }, outputs.map((o) => ({ group: 'ff3e::9:1', ...o })));

function issues(value: unknown): string[] {
  try {
    parseRule(value, options);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('rule schema: IPv6', () => {
  it('takes IPv6 groups, sources and outputs, in canonical RFC 5952 text, with the family', () => {
    const r = parseRule(v6({}, { group: 'FF3E:0:0:0:0:0:1:2', source: 'FD00:0:0:1:0:0:0:1' }, [{ group: 'ff3e:0::9:1', ttl: 4 }, { group: 'fd00::2:0:0:5' }]), options);
    expect(r.input).toEqual({ interface: 'in0', group: 'ff3e::1:2', port: 5001, source: 'fd00:0:0:1::1', family: 'ipv6' });
    expect(r.outputs.map((o) => o.group)).toEqual(['ff3e::9:1', 'fd00::2:0:0:5']);
    expect(parseRule(v4(), options).input.family).toBe('ipv4');
  });

  it('refuses a unicast or malformed input group, zones, and the reserved scopes 0 and f', () => {
    expect(issues(v6({}, { group: 'fd00::1' }))).toEqual(['rule.input.group: must be an IPv6 multicast group (ff00::/8), got "fd00::1"']);
    expect(issues(v6({}, { group: 'ff3e::zz' }))[0]).toMatch(/^rule\.input\.group: must be an IPv4 multicast group \(224\.0\.0\.0\/4\) or an IPv6 one/);
    expect(issues(v6({}, { group: 'ff02::1%eth0' }))[0]).toMatch(/^rule\.input\.group: must be an IPv4 multicast group/);
    expect(issues(v6({}, { group: 'ff00::1' }))).toEqual(['rule.input.group: IPv6 multicast scopes 0 and f are reserved (RFC 4291), got "ff00::1"']);
    expect(issues(v6({}, { group: 'ff1f::1' }))[0]).toMatch(/^rule\.input\.group: IPv6 multicast scopes 0 and f are reserved/);
    expect(issues(v6({}, {}, [{ group: 'ff30::1' }]))[0]).toMatch(/^rule\.outputs\[0\]\.group: IPv6 multicast scopes 0 and f are reserved/);
  });

  it('needs linkLocal: true for interface-local and link-local scopes (any flags), input or output', () => {
    expect(issues(v6({}, { group: 'ff02::fb' }))).toEqual([
      'rule.input.group: IPv6 multicast scope 2 (link-local) never leaves the link; the rule must say linkLocal: true to relay it, got "ff02::fb"',
    ]);
    expect(issues(v6({}, { group: 'ff31::1' }))[0]).toMatch(/^rule\.input\.group: IPv6 multicast scope 1 \(interface-local\) .* linkLocal: true/);
    expect(issues(v6({}, {}, [{ group: 'ff12::1' }]))[0]).toMatch(/^rule\.outputs\[0\]\.group: IPv6 multicast scope 2 \(link-local\) .* linkLocal: true to send to it/);
    const r = parseRule(v6({ linkLocal: true }, { group: 'ff02::fb' }, [{ group: 'ff02::fb', port: 5353 }]), options);
    expect(r).toMatchObject({ linkLocal: true, input: { group: 'ff02::fb' } });
  });

  it('allows unicast IPv6 outputs but refuses ::, ::1 and IPv4-mapped addresses', () => {
    expect(parseRule(v6({}, {}, [{ group: '2001:db8::7' }]), options).outputs[0]!.group).toBe('2001:db8::7');
    expect(issues(v6({}, {}, [{ group: '::' }]))).toEqual(['rule.outputs[0].group: cannot send to the unspecified address ::, got "::"']);
    expect(issues(v6({}, {}, [{ group: '::1' }]))).toEqual(['rule.outputs[0].group: cannot send to the loopback address ::1, got "::1"']);
    expect(issues(v6({}, {}, [{ group: '::ffff:10.0.0.1' }]))[0]).toMatch(/^rule\.outputs\[0\]\.group: cannot send to an IPv4-mapped address/);
  });

  it('refuses mixing families, naming the field', () => {
    expect(issues(v4({}, {}, [{ group: 'ff3e::9:1' }]))).toEqual([
      'rule.outputs[0].group: is IPv6 but input.group is IPv4 (a rule\'s input, source and outputs share one address family), got "ff3e::9:1"',
    ]);
    expect(issues(v6({}, {}, [{}, { group: '10.0.0.9' }]))[0]).toMatch(/^rule\.outputs\[1\]\.group: is IPv4 but input\.group is IPv6/);
    expect(issues(v6({}, { source: '10.0.0.1' }))[0]).toMatch(/^rule\.input\.source: is IPv4 but input\.group is IPv6/);
    expect(issues(v4({}, { family: 'ipv6' }))).toEqual(['rule.input.family: must be ipv4 like input.group "239.1.1.1", got "ipv6"']);
  });

  it('tells duplicate outputs apart by canonical address, not by spelling', () => {
    expect(issues(v6({}, {}, [{ group: 'ff3e::9:1' }, { group: 'FF3E:0::9:1' }]))).toEqual([
      'rule.outputs[1]: duplicate output: rule.outputs[0] already sends to ff3e::9:1:6001 on out0',
    ]);
  });
});

describe('rule schema: SSM sources', () => {
  it('takes a unicast source of the group\'s family and refuses multicast or unspecified ones', () => {
    expect(parseRule(v4({}, { group: '232.1.1.1', source: '10.1.0.1' }), options).input.source).toBe('10.1.0.1');
    expect(issues(v4({}, { source: '239.2.2.2' }))).toEqual(['rule.input.source: must be a unicast IPv4 address, got "239.2.2.2"']);
    expect(issues(v6({}, { source: '::' }))).toEqual(['rule.input.source: must be a unicast IPv6 address, got "::"']);
    expect(issues(v4({}, { source: 'somewhere' }))).toEqual(['rule.input.source: must be a unicast IPv4 or IPv6 address, got "somewhere"']);
  });
});

describe('rule schema: ranges', () => {
  it('normalises BASE/LEN into the base and prefixLength; a full-length prefix is one group', () => {
    const r = parseRule(v4({}, { group: '239.1.0.0/24' }, [{ group: '239.9.0.0/24' }, { group: '239.8.8.8' }]), options);
    expect(r.input).toEqual({ interface: 'in0', group: '239.1.0.0', prefixLength: 24, port: 5001, family: 'ipv4' });
    expect(r.outputs.map((o) => [o.group, o.prefixLength])).toEqual([['239.9.0.0', 24], ['239.8.8.8', undefined]]);
    expect(parseRule(v4({}, { group: '239.1.1.1/32' }), options).input).not.toHaveProperty('prefixLength');
    const six = parseRule(v6({}, { group: 'ff3e::1:0/120' }, [{ group: 'FF3E::9:0/120' }]), options);
    expect(six.input).toMatchObject({ group: 'ff3e::1:0', prefixLength: 120, family: 'ipv6' });
    expect(six.outputs[0]).toMatchObject({ group: 'ff3e::9:0', prefixLength: 120 });
  });

  it('the normalised form is valid input and parses to itself (state file, mcr list --json)', () => {
    const once = parseRule(v6({ join: false }, { group: 'ff3e::/104', source: 'fd00::1' }, [{ group: 'ff3e:1::/104' }]), options);
    expect(parseRule(once, options)).toEqual(once);
    expect(issues({ ...once, input: { ...once.input, group: 'ff3e::/96' } })).toEqual(['rule.input.group: says /LEN and prefixLength 104, which differ, got "ff3e::/96"']);
  });

  it('refuses host bits, and prefix lengths outside the data plane\'s bounds', () => {
    expect(issues(v4({}, { group: '239.1.0.7/24' }))).toEqual([
      'rule.input.group: the host bits of a range\'s base must be zero (did you mean 239.1.0.0/24?), got "239.1.0.7/24"',
    ]);
    expect(issues(v4({ join: false }, { group: '224.0.0.0/4' }))[0]).toMatch(/^rule\.input\.group: a range's prefix length must be 8\.\.32 for IPv4, got "224\.0\.0\.0\/4"/);
    expect(issues(v6({ join: false }, { group: 'ff00::/8' }))[0]).toMatch(/^rule\.input\.group: a range's prefix length must be 16\.\.128 for IPv6/);
    expect(issues(v4({}, { group: '239.1.1.1/33' }))[0]).toMatch(/^rule\.input\.group: a range's prefix length must be 8\.\.32/);
    expect(issues(v4({}, { group: '239.1.0.0/x' }))[0]).toMatch(/^rule\.input\.group: must be an IPv4 multicast group/);
    expect(issues(v4({}, { group: '239.1.0.0/24' }, [{ group: '239.9.0.1/24' }]))[0]).toMatch(/^rule\.outputs\[0\]\.group: the host bits .*did you mean 239\.9\.0\.0\/24/);
  });

  it('maps a range only onto a range of the same size, or onto one group; never onto unicast ranges', () => {
    expect(issues(v4({}, { group: '239.1.0.0/24' }, [{ group: '239.9.0.0/23' }]))).toEqual([
      'rule.outputs[0].group: an output range must be the size of the input range (/24: offset mapping), or a single group, got "239.9.0.0/23"',
    ]);
    expect(issues(v4({}, {}, [{ group: '239.9.0.0/24' }]))).toEqual([
      'rule.outputs[0].group: a range output needs a range input (input.group is the single group 239.1.1.1), got "239.9.0.0/24"',
    ]);
    expect(issues(v4({}, { group: '239.1.0.0/24' }, [{ group: '10.9.0.0/24' }]))).toEqual([
      'rule.outputs[0].group: a range output must be multicast (a unicast output is one address), got "10.9.0.0/24"',
    ]);
    expect(parseRule(v4({}, { group: '239.1.0.0/24' }, [{ group: '10.9.0.1' }]), options).outputs[0]!.group).toBe('10.9.0.1');
  });

  it(`joins at most RELAY_LIMITS.maxJoinedGroupsPerRange (${RELAY_LIMITS.maxJoinedGroupsPerRange}) groups: a larger range needs join: false`, () => {
    expect(parseRule(v4({}, { group: '239.1.0.0/24' }), options)).not.toHaveProperty('join');
    expect(issues(v4({}, { group: '239.1.0.0/23' }))).toEqual([
      'rule.join: input range 239.1.0.0/23 has 512 groups, more than the 256 one rule may join (RELAY_LIMITS.maxJoinedGroupsPerRange): say join: false and bring its frames in by other means',
    ]);
    expect(issues(v4({ join: true }, { group: '239.0.0.0/8' }))[0]).toMatch(/^rule\.join: input range 239\.0\.0\.0\/8 has 16777216 groups/);
    expect(parseRule(v4({ join: false }, { group: '239.1.0.0/16' }), options)).toMatchObject({ join: false, input: { prefixLength: 16 } });
    expect(parseRule(v4({ join: false }), options).join).toBe(false);
    expect(issues(v4({ join: 'no' }))).toEqual(['rule.join: must be true, false or \"on-demand\", got "no"']);
  });

  it('needs linkLocal: true for an IPv4 range or group reaching 224.0.0.0/24', () => {
    expect(issues(v4({ join: false }, { group: '224.0.0.0/16' }))[0]).toMatch(/^rule\.input\.group: 224\.0\.0\.0\/24 is link-local control traffic; the rule must say linkLocal: true to relay it/);
    expect(issues(v4({}, { group: '224.0.0.251' }))[0]).toMatch(/^rule\.input\.group: 224\.0\.0\.0\/24 is link-local/);
    expect(parseRule(v4({ linkLocal: true }, { group: '224.0.0.251', port: 5353 }), options).input.group).toBe('224.0.0.251');
    expect(parseRule(v4({ join: false }, { group: '224.1.0.0/16' }), options).input.prefixLength).toBe(16);
  });

  it('reports problems in the order of the rule\'s fields, as it reads', () => {
    const paths = (value: unknown) => issues(value).map((i) => i.slice(0, i.indexOf(':')));
    expect(paths({ input: { interface: 'in0', group: '10.0.0.1', port: 5001 }, outputs: [] })).toEqual(['rule.input.group', 'rule.outputs']);
    expect(paths({ outputs: [], input: { interface: 'in0', group: '10.0.0.1', port: 5001 } })).toEqual(['rule.outputs', 'rule.input.group']);
  });

  it('reports every problem of a rule at once, even with a field missing', () => {
    const found = issues({ input: { interface: 'in0', group: 'ff3e::1/120' }, outputs: [{ interface: 'out0', group: '239.9.9.1', port: 0 }] });
    expect(found).toEqual(
      expect.arrayContaining([
        'rule.input.port: must be 1..65535, got nothing',
        expect.stringMatching(/^rule\.input\.group: the host bits/),
        'rule.outputs[0].port: must be 1..65535, got 0',
        expect.stringMatching(/^rule\.outputs\[0\]\.group: is IPv4 but input\.group is IPv6/),
      ]),
    );
  });
});

describe('rule schema: receiver-driven outputs', () => {
  it('an output may forward only to listeners; the normalised rule says so only then', () => {
    const r = parseRule(v4({}, {}, [{ forward: 'listeners' }, { forward: 'always', interface: 'out1' }]), options);
    expect(r.outputs[0]!.forward).toBe('listeners');
    expect('forward' in r.outputs[1]!).toBe(false);
    expect(issues(v4({}, {}, [{ forward: 'sometimes' }]))).toEqual([expect.stringMatching(/^rule\.outputs\[0\]\.forward: /)]);
  });

  it('"listeners" needs a multicast output: a unicast destination has no listeners to ask', () => {
    expect(issues(v4({}, {}, [{ group: '10.9.0.5', forward: 'listeners' }]))).toEqual([expect.stringMatching(/^rule\.outputs\[0\]\.forward: "listeners" needs a multicast output/)]);
  });

  it('join "on-demand" needs a listeners output, and is kept in the normalised rule', () => {
    expect(parseRule(v4({ join: 'on-demand' }, {}, [{ forward: 'listeners' }]), options).join).toBe('on-demand');
    expect(parseRule(v6({ join: 'on-demand' }, {}, [{ forward: 'listeners' }]), options).join).toBe('on-demand');
    expect(issues(v4({ join: 'on-demand' }))).toEqual([expect.stringMatching(/^rule\.join: "on-demand" needs at least one output with forward: "listeners"/)]);
  });

  it('an on-demand range is bounded like a joined one: an output that is not offset-mapped needs every group', () => {
    const big = v4({ join: 'on-demand' }, { group: '239.1.0.0/16' }, [{ forward: 'listeners' }]);
    expect(issues(big)).toEqual([expect.stringMatching(/^rule\.join: input range 239\.1\.0\.0\/16 has 65536 groups/)]);
  });
});
