// mcr-lab runs mcr through its CLI: a missing build is a failure here, never a silent skip of the
// mcr tests. Which build runs is chosen by the bed option mcrBin, else $MCR_BIN, else the workspace's.
import { afterEach, describe, expect, it } from 'vitest';
import { chain, resolveStreams } from '@mcr/netns-lab';
import { MCR_BIN_ENV, McrRelay, mcrBin, mcrConfig, mcrUnavailableReason } from '../../src/relays/index.js';

const saved = process.env[MCR_BIN_ENV];
afterEach(() => {
  if (saved === undefined) delete process.env[MCR_BIN_ENV];
  else process.env[MCR_BIN_ENV] = saved;
});

describe('the mcr build the lab runs', () => {
  it('is built (npx nx run relay:build): mcr-lab depends on @mcr/relay', () => {
    delete process.env[MCR_BIN_ENV];
    expect(mcrUnavailableReason()).toBeUndefined();
  });

  it('is the explicit bin, else $MCR_BIN, else the workspace one', () => {
    delete process.env[MCR_BIN_ENV];
    const workspace = mcrBin();
    expect(workspace).toMatch(/relay\/bin\/mcr\.js$/);
    process.env[MCR_BIN_ENV] = '/tmp/other/bin/mcr.js';
    expect(mcrBin()).toBe('/tmp/other/bin/mcr.js');
    expect(new McrRelay().bin).toBe('/tmp/other/bin/mcr.js');
    expect(new McrRelay({ bin: '/x/bin/mcr.js' }).bin).toBe('/x/bin/mcr.js');
    expect(mcrUnavailableReason('/nonexistent/bin/mcr.js')).toMatch(/does not exist/);
  });

  it('gets the testOnly section only when asked for', () => {
    const streams = resolveStreams(chain({ prefix: 'mcrlunit' }).relay, [{ group: '239.1.0.1', port: 5001, outGroup: '239.9.0.1', outPort: 6001 }]);
    expect(mcrConfig(streams, '/s')).not.toHaveProperty('testOnly');
    expect(mcrConfig(streams, '/s', { testOnly: { injectedWorkNanos: 1200 } }).testOnly).toEqual({ injectedWorkNanos: 1200 });
  });

  it('gets a dataPlane section only when asked for: mcr as users run it by default', () => {
    const streams = resolveStreams(chain({ prefix: 'mcrlunit' }).relay, [{ group: '239.1.0.1', port: 5001, outGroup: '239.9.0.1', outPort: 6001 }]);
    expect(mcrConfig(streams, '/s')).not.toHaveProperty('dataPlane');
    expect(mcrConfig(streams, '/s', { dataPlane: { coalesceMicros: 300 } }).dataPlane).toEqual({ coalesceMicros: 300 });
  });
});
