import { UsageError } from '@mcr/cli-kit';
import { describe, expect, it } from 'vitest';
import { parseEndpoint } from '../../src/cli/endpoint.js';

describe('mcr add endpoints', () => {
  it('reads IFACE:GROUP[/LEN]:PORT[:TTL], IPv6 in brackets', () => {
    expect(parseEndpoint('in0:239.1.1.1:5001', '--input', false)).toEqual({ interface: 'in0', group: '239.1.1.1', port: 5001 });
    expect(parseEndpoint('in0:239.1.0.0/24:5001', '--input', false)).toEqual({ interface: 'in0', group: '239.1.0.0/24', port: 5001 });
    expect(parseEndpoint('in0:[ff3e::1:2]:5001', '--input', false)).toEqual({ interface: 'in0', group: 'ff3e::1:2', port: 5001 });
    expect(parseEndpoint('in0:[ff3e::1:0]/120:5001', '--input', false)).toEqual({ interface: 'in0', group: 'ff3e::1:0/120', port: 5001 });
    expect(parseEndpoint('out0:[ff3e::9:0]/120:6001:4', '--output', true)).toEqual({ interface: 'out0', group: 'ff3e::9:0/120', port: 6001, ttl: 4 });
    expect(parseEndpoint('out0:239.9.9.1:6001:8', '--output', true)).toEqual({ interface: 'out0', group: '239.9.9.1', port: 6001, ttl: 8 });
    // Values are the relay's to check (its answer names the field): they pass as written.
    expect(parseEndpoint('out0:239.9.9.1:http', '--output', true).port).toBe('http');
  });

  it('refuses other shapes, naming the flag and pointing IPv6 at brackets', () => {
    const message = (text: string, allowTtl = false) => {
      try {
        parseEndpoint(text, allowTtl ? '--output' : '--input', allowTtl);
      } catch (err) {
        expect(err).toBeInstanceOf(UsageError);
        return (err as Error).message;
      }
      return 'accepted';
    };
    expect(message('in0:ff3e::1:2:5001')).toBe('--input: must be IFACE:GROUP[/LEN]:PORT (an IPv6 group goes in brackets: in0:[ff3e::1:2]:5001), got "in0:ff3e::1:2:5001"');
    expect(message('in0:239.1.1.1:5001:8')).toBe('--input: must be IFACE:GROUP[/LEN]:PORT, got "in0:239.1.1.1:5001:8"');
    expect(message('in0:239.1.1.1')).toMatch(/^--input: must be IFACE:GROUP\[\/LEN\]:PORT, got/);
    expect(message('in0:[ff3e::1]:5001:8:9', true)).toMatch(/^--output: must be IFACE:GROUP\[\/LEN\]:PORT\[:TTL\], got/);
    expect(message('in0:239.1.1.1/24')).toMatch(/^--input: must be/);
  });
});
