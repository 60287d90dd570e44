// Command-line contract of the native tools (no namespaces needed: they fail before any socket
// is opened) and the TypeScript validation in front of them.
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PAYLOAD, MAX_PAYLOAD, MIN_PAYLOAD, receiverArgs, SENDER_PROCESSES, senderArgs, TIMER_PROBE, toolPath } from '../../src/traffic/index.js';

const stream = { group: '239.201.4.1', port: 5300 };

describe('mcr-send / mcr-recv command line', () => {
  it.each([
    ['mcr-send', ['--stream', '239.1.1.1:5000', '--bogus'], '--bogus'],
    ['mcr-send', ['--stream', '239.1.1.1:5000', '--rate', 'fast'], '--rate'],
    ['mcr-send', ['--stream', '239.1.1.1:5000', '--size', '10'], '--size'],
    ['mcr-send', ['--stream', '239.1.1.1:5000', '--ttl', '0'], '--ttl'],
    ['mcr-send', ['--stream', '239.1.1.1'], '--stream'],
    ['mcr-send', ['--stream', '239.1.1.1:70000'], '--stream'],
    ['mcr-send', ['--stream', '239.1.1.1:5000', '--count', '3', '--seq-list', '0,1'], '--seq-list'],
    ['mcr-send', ['--stream', '239.1.1.1:5000', '--seq-list', '0,x'], '--seq-list'],
    ['mcr-send', ['--stream', '239.1.1.1:5000', '--interface', 'nosuchif0'], '--interface'],
    ['mcr-send', [], '--stream'],
    ['mcr-send', ['--stream', 'ff3e::1:1:5000'], 'brackets'],
    ['mcr-send', ['--stream', '[ff3e::1:1]5000'], '--stream'],
    ['mcr-send', ['--stream', '[239.1.1.1]:5000'], 'IPv6 groups only'],
    ['mcr-send', ['--stream', '[ff3e::zz]:5000'], '--stream'],
    ['mcr-send', ['--stream', '[ff3e::1:1]:5000', '--stream', '239.1.1.1:5000'], 'one family'],
    ['mcr-send', ['--stream', '239.1.1.1:5000', '--raw'], '--raw needs --interface'],
    ['mcr-send', ['--stream', '239.1.1.1:5000', '--raw=yes', '--interface', 'lo'], '--raw takes no value'],
    ['mcr-send', ['--stream', '10.1.1.1:5000', '--raw', '--interface', 'lo'], 'multicast groups only'],
    ['mcr-send', ['--stream', '239.1.1.1:5000', '--raw', '--interface', 'nosuchif0'], '--interface'],
    ['mcr-send', ['--stream', '239.1.1.1:5000', '--senders', '0'], '--senders expects an integer in 1..8'],
    ['mcr-send', ['--stream', '239.1.1.1:5000', '--senders', '9'], '--senders expects an integer in 1..8'],
    ['mcr-recv', ['--stream', '[ff3e::1:1]:5000', '--interface', 'lo', '--source', '10.1.0.1'], '--source'],
    ['mcr-recv', ['--stream', '[ff3e::1:1]:5000', '--interface', 'lo', '--source', 'ff3e::9'], '--source'],
    ['mcr-recv', ['--stream', '239.1.1.1:5000', '--interface', 'lo', '--source', 'nope'], '--source'],
    ['mcr-recv', ['--stream', '239.1.1.1:5000', '--interface', 'lo', '--nope'], '--nope'],
    ['mcr-recv', ['--stream', '239.1.1.1:5000'], '--interface'],
    ['mcr-recv', ['--stream', '239.1.1.1:5000', '--interface', 'nosuchif0'], '--interface'],
    ['mcr-recv', ['--stream', '239.1.1.1:5000', '--interface', 'lo', '--idle-ms', '-1'], '--idle-ms'],
    ['mcr-recv', ['--stream', '239.1.1.1:5000', '--interface', 'lo', '--rcvbuf', 'big'], '--rcvbuf'],
  ] as const)('%s %j exits 2 naming %s', async (tool, args, flag) => {
    const r = await execa(toolPath(tool), args, { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(flag);
    expect(r.stderr).toContain('usage:');
    expect(r.stdout).toBe('');
  });

  it.each(['mcr-send', 'mcr-recv'] as const)('%s --help prints the usage and exits 0', async (tool) => {
    const r = await execa(toolPath(tool), ['--help']);
    expect(r.stdout).toContain(`usage: ${tool}`);
  });

  it('mcr-probe states the timer ranges the TypeScript side has', async () => {
    const r = await execa(toolPath('mcr-probe'), ['--help']);
    const { minMicros, maxMicros, defaultMicros, minCount, maxCount, defaultCount } = TIMER_PROBE;
    expect(r.stdout).toContain(`${minMicros}..${maxMicros} (default ${defaultMicros}), --count N times, ${minCount}..${maxCount} (default ${defaultCount})`);
    const send = await execa(toolPath('mcr-send'), ['--help']);
    expect(send.stdout).toContain(`split the streams over N processes, ${SENDER_PROCESSES.min}..${SENDER_PROCESSES.max} (default 1)`);
  });

  it('mcr-send states and enforces the payload bounds the TypeScript side has', async () => {
    const help = await execa(toolPath('mcr-send'), ['--help']);
    expect(help.stdout).toContain(`UDP payload bytes, ${MIN_PAYLOAD}..${MAX_PAYLOAD} (default ${DEFAULT_PAYLOAD})`);
    for (const size of [MIN_PAYLOAD - 1, MAX_PAYLOAD + 1]) {
      const r = await execa(toolPath('mcr-send'), ['--stream', '239.1.1.1:5000', '--size', String(size)], { reject: false });
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain(`--size expects an integer in ${MIN_PAYLOAD}..${MAX_PAYLOAD}, got '${size}'`);
    }
  });
});

describe('TypeScript option validation', () => {
  it('builds the documented flags', () => {
    expect(
      senderArgs({ streams: [stream], rate: 1000, count: 5, size: 200, ttl: 4, interface: 'veth0', batch: 8, corrupt: [2] }),
    ).toEqual([
      '--stream', '239.201.4.1:5300', '--rate', '1000', '--count', '5', '--size', '200', '--ttl', '4',
      '--interface', 'veth0', '--batch', '8', '--corrupt', '2', '--json',
    ]);
    expect(receiverArgs({ streams: [stream, { group: '239.201.4.2', port: 5301 }], interface: 'veth1', expect: 7, idleMs: 100 })).toEqual([
      '--stream', '239.201.4.1:5300', '--stream', '239.201.4.2:5301', '--interface', 'veth1', '--expect', '7', '--idle-ms', '100', '--json',
    ]);
    expect(receiverArgs({ streams: [stream], interface: 'veth1', receiveBufferBytes: 0 })).toEqual(['--stream', '239.201.4.1:5300', '--interface', 'veth1', '--rcvbuf', '0', '--json']);
    expect(senderArgs({ streams: [stream], seqList: [0, 1, 1, 2] })).toContain('0,1,1,2');
    expect(senderArgs({ streams: [stream], count: 1, interface: 'eth0', raw: true, senders: 2 })).toEqual([
      '--stream', '239.201.4.1:5300', '--count', '1', '--interface', 'eth0', '--raw', '--senders', '2', '--json',
    ]);
    expect(senderArgs({ streams: [stream], count: 1, raw: false })).toEqual(['--stream', '239.201.4.1:5300', '--count', '1', '--json']);
  });

  it('raw and senders: checked before mcr-send runs', () => {
    expect(() => senderArgs({ streams: [stream], count: 1, raw: true })).toThrow(/raw: needs interface/);
    expect(() => senderArgs({ streams: [{ group: '10.1.0.2', port: 1 }], count: 1, interface: 'eth0', raw: true })).toThrow(
      /streams\[0\]\.group: expected a multicast group \(raw frames take their destination MAC from the group\), got "10\.1\.0\.2"/,
    );
    expect(() => senderArgs({ streams: [{ group: 'fd00::1', port: 1 }], count: 1, interface: 'eth0', raw: true })).toThrow(/multicast group/);
    expect(senderArgs({ streams: [{ group: 'FF3E::1', port: 1 }], count: 1, interface: 'eth0', raw: true })).toContain('--raw');
    expect(() => senderArgs({ streams: [stream], count: 1, raw: 'yes' as unknown as boolean })).toThrow(/raw: expected a boolean, got "yes"/);
    expect(() => senderArgs({ streams: [stream], count: 1, senders: 0 })).toThrow(/senders: expected 1\.\.8, got 0/);
    expect(() => senderArgs({ streams: [stream], count: 1, senders: 9 })).toThrow(/senders: expected 1\.\.8, got 9/);
    expect(() => senderArgs({ streams: [stream], count: 1, senders: 1.5 })).toThrow(/senders: expected an integer/);
  });

  it('writes IPv6 groups in brackets and passes a source filter', () => {
    expect(senderArgs({ streams: [{ group: 'ff3e::1:1', port: 5001 }], count: 1, ttl: 2 })).toEqual(['--stream', '[ff3e::1:1]:5001', '--count', '1', '--ttl', '2', '--json']);
    expect(receiverArgs({ streams: [{ group: 'ff3e::1:1', port: 5001 }], interface: 'in0', source: 'fd00:0:0:1::1' })).toEqual([
      '--stream', '[ff3e::1:1]:5001', '--interface', 'in0', '--source', 'fd00:0:0:1::1', '--json',
    ]);
    expect(() => senderArgs({ streams: [{ group: 'ff3e::1:1', port: 1 }, stream], count: 1 })).toThrow(/streams\[1\]\.group: every stream of one sender must be IPv6/);
    expect(() => receiverArgs({ streams: [stream], interface: 'in0', source: 'fd00::1' })).toThrow(/source: "fd00::1" is IPv6 but streams\[0\]/);
    expect(() => receiverArgs({ streams: [{ group: '[ff3e::1]', port: 1 }], interface: 'in0' })).toThrow(/no brackets/);
  });

  it('names the option, the expectation and the value', () => {
    expect(() => senderArgs({ streams: [stream], count: 1, size: 10 })).toThrow(/size: expected 64\.\.8972, got 10/);
    expect(() => senderArgs({ streams: [{ group: 'nope', port: 1 }], count: 1 })).toThrow(/streams\[0\]\.group/);
    expect(() => senderArgs({ streams: [stream] })).toThrow(/count, durationSec, seqList or signal/);
    expect(() => senderArgs({ streams: [stream], count: 1, seqList: [0] })).toThrow(/exclusive/);
    expect(() => receiverArgs({ streams: [stream], interface: 'x'.repeat(16) })).toThrow(/interface/);
    expect(() => receiverArgs({ streams: [], interface: 'lo' })).toThrow(/streams/);
  });
});
