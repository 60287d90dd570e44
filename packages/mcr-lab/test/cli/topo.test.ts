// The CLI, called in-process: usage errors exit 2 naming the flag; up / list / down round trip.
import { afterAll, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { clean, listNamespaces, uniquePrefix } from '@mcr/netns-lab';

const prefix = uniquePrefix();
afterAll(async () => {
  await clean(prefix);
});

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

it('usage errors exit 2 and name the flag', async () => {
  expect((await cli()).code).toBe(2);
  expect(await cli('topo', 'up', '--help')).toMatchObject({ code: 0, out: expect.stringContaining('--outputs K') });
  expect(await cli('clean', '--help')).toMatchObject({ code: 0 });
  expect(await cli('topo', 'up', 'torus')).toMatchObject({ code: 2, err: expect.stringContaining('unknown topology "torus"') });
  expect(await cli('topo', 'up', 'fanout', '--outputs', 'x')).toMatchObject({ code: 2, err: expect.stringContaining('--outputs') });
  expect(await cli('topo', 'up', 'chain', '--sources', '2')).toMatchObject({ code: 2, err: expect.stringContaining('--sources') });
  expect(await cli('topo', 'up', 'chain', '--prefix', 'nope')).toMatchObject({ code: 2, err: expect.stringContaining('--prefix') });
  expect(await cli('topo', 'up', 'chain', '--frob')).toMatchObject({ code: 2, err: expect.stringContaining('--frob') });
  expect(await cli('topo', 'down')).toMatchObject({ code: 2 });
  expect(await cli('nonsense')).toMatchObject({ code: 2 });
});

it('topo up / list / down round trip', async () => {
  const upped = await cli('topo', 'up', 'converge', '--sources', '2', '--prefix', prefix);
  expect(upped.code).toBe(0);
  const topo = JSON.parse(upped.out) as { prefix: string; sources: { ns: string }[] };
  expect(topo.sources.map((s) => s.ns)).toEqual([`${prefix}-src0`, `${prefix}-src1`]);
  expect((await cli('topo', 'list')).out).toContain(`${prefix}\tconverge\t4/4 namespaces`);
  expect(await cli('topo', 'down', prefix)).toMatchObject({ code: 0 });
  expect((await listNamespaces()).filter((n) => n.startsWith(`${prefix}-`))).toEqual([]);
  expect((await cli('topo', 'list')).out).not.toContain(prefix);
});
