// `mcr-lab topo up|down|list`: topologies in network namespaces, created, removed and listed.
import { z } from 'zod';
import { checkFlags, integerValue, type Flags } from '@mcr/cli-kit';
import { listNamespaces } from '../netns/index.js';
import { BRANCHES, BUILDERS, PREFIX_FAMILY, attach, build, clean, listEntries, readEntry, uniquePrefix, up, type TopologyKind } from '../topology/index.js';
import { UsageError, type Command } from './command.js';

const branches = integerValue(BRANCHES.min, BRANCHES.max).default(BRANCHES.default);

/** `topo up`'s flags; the prefix's form is the topology builder's to check (its RangeError names the flag). */
export const TOPO_UP_FLAGS = {
  prefix: {
    value: 'P',
    schema: z.string(),
    help: `the namespaces' names start with P- (P starts with "${PREFIX_FAMILY}"; topo down P removes them)`,
    defaults: 'default: a fresh one',
  },
  outputs: { value: 'K', schema: branches, help: 'fanout: relay outputs, each to its own sink namespace' },
  sources: { value: 'M', schema: branches, help: 'converge: source namespaces, each on its own relay input' },
} as const satisfies Flags;

export const topoUp: Command = {
  words: ['topo', 'up'],
  args: `<${Object.keys(BUILDERS).join('|')}>`,
  summary: 'create a topology in network namespaces and print it as JSON',
  flags: TOPO_UP_FLAGS,
  allowPositionals: true,
  async run(raw, positionals, io) {
    const [kind, ...extra] = positionals;
    if (!kind) throw new UsageError('missing topology kind');
    if (!(kind in BUILDERS)) throw new UsageError(`unknown topology "${kind}" (expected one of ${Object.keys(BUILDERS).join(', ')})`);
    if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
    if (raw.outputs !== undefined && kind !== 'fanout') throw new UsageError('--outputs applies to fanout only');
    if (raw.sources !== undefined && kind !== 'converge') throw new UsageError('--sources applies to converge only');
    const values = checkFlags(raw, TOPO_UP_FLAGS);
    const prefix = values.prefix ?? uniquePrefix();
    const { outputs, sources } = values;
    let topo;
    try {
      topo = build(kind as TopologyKind, { prefix, ...(outputs ? { outputs } : {}), ...(sources ? { sources } : {}) });
    } catch (err) {
      if (err instanceof RangeError) throw new UsageError(err.message.replace(/^option "(\w+)"/, '--$1').replace(/^prefix/, '--prefix'));
      throw err;
    }
    if ((await listNamespaces()).some((n) => n.startsWith(`${prefix}-`))) {
      throw new UsageError(`--prefix ${prefix} is already in use (mcr-lab topo down ${prefix})`);
    }
    await up(topo);
    io.out(JSON.stringify(topo, null, 2));
    return 0;
  },
};

export const topoDown: Command = {
  words: ['topo', 'down'],
  args: '<prefix>',
  summary: 'remove a lab (its namespaces and the processes inside them), or every lab with --all',
  flags: { all: { help: 'every lab, in place of one <prefix>' } },
  allowPositionals: true,
  async run(values, positionals, io) {
    if (values.all) {
      if (positionals.length) throw new UsageError('--all takes no prefix');
      for (const ns of await clean()) io.out(`removed ${ns}`);
      return 0;
    }
    const [prefix, ...extra] = positionals;
    if (!prefix) throw new UsageError('missing <prefix> (or --all)');
    if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
    if (!prefix.startsWith(PREFIX_FAMILY)) throw new UsageError(`<prefix> must start with "${PREFIX_FAMILY}", received "${prefix}"`);
    const entry = await readEntry(prefix);
    // The registry knows the order; without it, clean by prefix.
    if (entry) await attach(entry.topology).down();
    const rest = await clean(prefix);
    if (!entry && rest.length === 0) {
      io.err(`no lab with prefix ${prefix}`);
      return 1;
    }
    io.out(`removed lab ${prefix}`);
    return 0;
  },
};

export const topoList: Command = {
  words: ['topo', 'list'],
  summary: 'list live labs (registry in /run/mcr-lab, checked against ip netns list)',
  flags: { json: { help: 'print { labs, orphans } as JSON' } },
  allowPositionals: false,
  async run(values, _p, io) {
    const live = new Set(await listNamespaces());
    const entries = (await listEntries()).map((e) => ({
      prefix: e.prefix,
      kind: e.kind,
      createdAt: e.createdAt,
      namespaces: e.topology.namespaces.map((n) => n.name),
      present: e.topology.namespaces.filter((n) => live.has(n.name)).length,
    }));
    // Namespaces of our family that no registry entry explains (e.g. a crash): report them too.
    const known = new Set(entries.flatMap((e) => e.namespaces));
    const orphans = [...live].filter((n) => n.startsWith(PREFIX_FAMILY) && !known.has(n));
    if (values.json) io.out(JSON.stringify({ labs: entries, orphans }, null, 2));
    else {
      for (const e of entries) io.out(`${e.prefix}\t${e.kind}\t${e.present}/${e.namespaces.length} namespaces\t${e.createdAt}`);
      for (const o of orphans) io.out(`orphan namespace ${o} (mcr-lab clean)`);
      if (!entries.length && !orphans.length) io.out('no labs');
    }
    return 0;
  },
};

/** The topology commands, in the order help lists them. */
export const TOPO_COMMANDS: Command[] = [topoUp, topoDown, topoList];
