// mcr's adapter, pure: the JSON config the lab writes for it, checked against the relay's own schema,
// and the socat baseline's buffers held to mcr's receive ring.
import { describe, expect, it } from 'vitest';
import { fanout, resolveStreams, SOCAT_BUFFER_BYTES } from '@mcr/netns-lab';
import { DEFAULTS, parseConfig, type RelayConfigFile } from '@mcr/relay';
import { mcrConfig } from '../../src/relays/index.js';

const topo = fanout({ prefix: 'mcrlunit', outputs: 2 });
const streams = resolveStreams(topo.relay, [
  { group: '239.1.1.1', port: 5001, outGroup: '239.9.9.1', outPort: 6001 },
  { group: '239.1.1.2', port: 5002, outGroup: '239.9.9.2', outPort: 6002, outputs: [1] },
]);

describe('mcr config', () => {
  it('mcr: the documented config format', () => {
    expect(mcrConfig(streams, '/tmp/x.sock', { workers: 1, fanoutMode: 'off', igmpJoin: false })).toEqual({
      workers: 1,
      fanout: { mode: 'off' },
      igmp: { join: false },
      control: { socket: '/tmp/x.sock' },
      rules: [
        { id: 's0', input: { interface: 'in0', group: '239.1.1.1', port: 5001 }, outputs: [
          { interface: 'out0', group: '239.9.9.1', port: 6001, ttl: 8 },
          { interface: 'out1', group: '239.9.9.1', port: 6001, ttl: 8 },
        ] },
        { id: 's1', input: { interface: 'in0', group: '239.1.1.2', port: 5002 }, outputs: [{ interface: 'out1', group: '239.9.9.2', port: 6002, ttl: 8 }] },
      ],
    });
    expect(mcrConfig(streams, '/s').fanout.mode).toBe('hash');
  });

  it('mcr IPv6: groups go into the config as canonical text, without brackets', () => {
    const v6 = resolveStreams(topo.relay, [{ group: 'ff3e::1:1', port: 5001, outGroup: 'ff3e::9:1', outPort: 6001, outputs: [0] }]);
    expect(mcrConfig(v6, '/s').rules).toEqual([
      { id: 's0', input: { interface: 'in0', group: 'ff3e::1:1', port: 5001 }, outputs: [{ interface: 'out0', group: 'ff3e::9:1', port: 6001, ttl: 8 }] },
    ]);
  });

  it('mcr: what the lab writes passes the relay\'s own schema, both families (interfaces not looked up here)', () => {
    const anyInterface = { interfaceExists: () => true, isEthernet: () => true };
    const v6 = resolveStreams(topo.relay, [{ group: 'ff3e::1:1', port: 5001, outGroup: 'ff3e::9:1', outPort: 6001 }]);
    const configs: RelayConfigFile[] = [mcrConfig(streams, '/tmp/x.sock', { testOnly: { disableLoopGuard: true } }), mcrConfig(v6, '/tmp/x.sock')];
    for (const config of configs) {
      expect(parseConfig(config, anyInterface).rules).toHaveLength(config.rules!.length);
    }
  });
  it('socat, tuned, gets the room of mcr\'s receive ring per input', () => {
    expect(SOCAT_BUFFER_BYTES).toBe(DEFAULTS.receiveBufferBytes);
  });
});
