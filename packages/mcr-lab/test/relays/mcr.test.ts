// mcr, plugged into the lab, forwards through a chain lab like the baselines do: two streams with
// group and port rewritten, in each family, its CPU accounted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chain, clean, forwardThrough, listNamespaces, uniquePrefix, up, type Lab, type StreamSpec } from '@mcr/netns-lab';
import { McrRelay } from '../../src/relays/index.js';

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

describe('mcr under test (traffic: native mcr-send/mcr-recv)', () => {
  it('mcr: two streams with rewrite', async () => {
    const streams: StreamSpec[] = [
      { group: '239.1.4.1', port: 5007, outGroup: '239.9.7.1', outPort: 6007 },
      { group: '239.1.4.2', port: 5008, outGroup: '239.9.7.2', outPort: 6008 },
    ];
    const { results, cpu } = await forwardThrough(lab, new McrRelay(), streams, COUNT);
    for (const r of results) expect(r).toMatchObject({ unique: COUNT, duplicates: 0, foreign: 0 });
    expect(cpu).toBeGreaterThan(0);
  });

  it('mcr: two IPv6 streams with rewrite', async () => {
    const { results } = await forwardThrough(lab, new McrRelay(), [
      { group: 'ff3e::16:1', port: 5021, outGroup: 'ff3e::17:1', outPort: 6021 },
      { group: 'ff3e::16:2', port: 5022, outGroup: 'ff3e::17:2', outPort: 6022 },
    ], COUNT, { family: 'ipv6' });
    for (const r of results) expect(r).toMatchObject({ unique: COUNT, duplicates: 0, foreign: 0 });
  });
});
