// The baselines forward two streams through a chain lab: socat tuned and on the kernel's default
// buffers (with group rewrite), socat on a shared port (negative control: duplicates), the in-kernel
// reference `kernel` resolves to here (smcroute, or the tc mirror without multicast routing), the tc
// mirror and the direct wire by name. kernel-mfc refuses by name where it cannot run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listNamespaces } from '../../src/netns/index.js';
import { machineFindings } from '../../src/doctor/index.js';
import { DirectRelay, KernelMfcRelay, KernelTcRelay, RelayUnavailableError, SOCAT_BUFFER_BYTES, SocatRelay, type RelayUnderTest, type StreamSpec } from '../../src/relays/index.js';
import { chain, clean, uniquePrefix, up, type Lab } from '../../src/topology/index.js';
import { kernelReference } from '../kernel-reference.js';
import { forwardThrough } from '../../src/relays/index.js';

const prefix = uniquePrefix();
let lab: Lab;
beforeAll(async () => {
  lab = await up(chain({ prefix }));
});
afterAll(async () => {
  try {
    await lab?.down();
  } finally {
    await clean(prefix);
  }
  expect((await listNamespaces()).filter((n) => n.startsWith(`${prefix}-`))).toEqual([]);
});

const COUNT = 1000;

/** Starts `relay`, sends COUNT packets per stream, returns what the sink received per output stream. */
const forward = (relay: RelayUnderTest, streams: StreamSpec[]) => forwardThrough(lab, relay, streams, COUNT);

describe('baselines (traffic: native mcr-send/mcr-recv)', () => {
  it('socat: one process per stream, group and port rewritten, no duplicates', async () => {
    const streams: StreamSpec[] = [
      { group: '239.1.1.1', port: 5001, outGroup: '239.9.9.1', outPort: 6001 },
      { group: '239.1.1.2', port: 5002, outGroup: '239.9.9.2', outPort: 6002 },
    ];
    const { results, cpu } = await forward(new SocatRelay(), streams);
    for (const r of results) expect(r).toMatchObject({ unique: COUNT, duplicates: 0, foreign: 0 });
    expect(cpu).toBeGreaterThanOrEqual(0);
  });

  it('socat-shared-port: every process bound to INADDR_ANY:port receives every group (duplicates)', async () => {
    // Two input groups on ONE port, rewritten to two output groups: each process also gets the
    // other stream's packets and sends them to its own output group.
    const streams: StreamSpec[] = [
      { group: '239.1.2.1', port: 5003, outGroup: '239.9.8.1', outPort: 6003 },
      { group: '239.1.2.2', port: 5003, outGroup: '239.9.8.2', outPort: 6004 },
    ];
    const relay = new SocatRelay({ sharedPort: true });
    expect(relay.label).toBe('socat-shared-port');
    const { results } = await forward(relay, streams);
    // Each output group carries the other stream's packets as well, which the receiver counts as
    // foreign (wrong stream id); its own stream still arrives complete.
    for (const r of results) {
      expect(r.unique).toBe(COUNT);
      expect(r.foreign).toBeGreaterThan(0);
    }
  });

  it('socat-default: the same command on the kernel\'s default buffers, labelled apart', async () => {
    const streams: StreamSpec[] = [{ group: '239.1.1.5', port: 5015, outGroup: '239.9.9.5', outPort: 6015 }];
    const relay = new SocatRelay({ tuned: false });
    expect([relay.name, relay.label, relay.bufferBytes]).toEqual(['socat-default', 'socat-default', null]);
    expect(new SocatRelay().bufferBytes).toBe(SOCAT_BUFFER_BYTES);
    const { results } = await forward(relay, streams);
    for (const r of results) expect(r).toMatchObject({ unique: COUNT, duplicates: 0, foreign: 0 });
  });

  it('kernel: the reference picked for this kernel forwards two streams, output group = input group, cpuSeconds null', async () => {
    const streams: StreamSpec[] = [
      { group: '239.1.3.1', port: 5005, outGroup: '239.1.3.1', outPort: 5005 },
      { group: '239.1.3.2', port: 5006, outGroup: '239.1.3.2', outPort: 5006 },
    ];
    const relay = await kernelReference();
    expect(relay.name).toBe((await machineFindings()).multicastRouting.ipv4 ? 'kernel-mfc' : 'kernel-tc');
    const { results, cpu } = await forward(relay, streams);
    for (const r of results) expect(r).toMatchObject({ unique: COUNT, duplicates: 0, foreign: 0 });
    expect(cpu).toBeNull();
  });

  it('kernel-tc and direct: forward on any kernel, without rewrite, cpuSeconds null', async () => {
    const streams: StreamSpec[] = [{ group: '239.1.3.5', port: 5009, outGroup: '239.1.3.5', outPort: 5009 }];
    for (const relay of [new KernelTcRelay(), new DirectRelay()]) {
      const { results, cpu } = await forward(relay, streams);
      expect(results).toEqual([{ unique: COUNT, duplicates: 0, foreign: 0 }]);
      expect(cpu).toBeNull();
    }
  });

  it('kernel-mfc: refuses by name where the kernel has no multicast routing, forwards where it has', async () => {
    const streams: StreamSpec[] = [{ group: '239.1.3.3', port: 5007, outGroup: '239.1.3.3', outPort: 5007 }];
    if ((await machineFindings()).multicastRouting.ipv4) {
      const { results } = await forward(new KernelMfcRelay(), streams);
      expect(results).toEqual([{ unique: COUNT, duplicates: 0, foreign: 0 }]);
    } else {
      const refused = new KernelMfcRelay().start(lab, streams);
      await expect(refused).rejects.toBeInstanceOf(RelayUnavailableError);
      await expect(refused).rejects.toThrow(/^kernel \(mfc\): this kernel has no IPv4 multicast routing \(CONFIG_IP_MROUTE\)/);
    }
  });

  it('the in-kernel references and direct refuse a group rewrite with a message naming it', async () => {
    for (const relay of [await kernelReference(), new KernelTcRelay(), new DirectRelay()]) {
      await expect(relay.start(lab, [{ group: '239.1.3.1', port: 5005, outGroup: '239.9.9.9', outPort: 5005 }])).rejects.toThrow(/cannot rewrite group\/port/);
    }
  });

});
