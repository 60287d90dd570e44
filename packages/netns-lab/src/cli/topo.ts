// `mcr-lab topo up|down|list`: topologies in network namespaces, created, removed and listed.
import { integerFlag } from '@mcr/cli-kit';
import { listNamespaces } from '../netns/index.js';
import { BUILDERS, PREFIX_FAMILY, attach, build, clean, listEntries, readEntry, uniquePrefix, up, type TopologyKind } from '../topology/index.js';
import { HELP, usage, type Command } from './command.js';

/** A count flag; its upper bound is the topology builder's to check (its RangeError names the option). */
function positiveInt(flag: string, value: string | boolean | undefined): number | undefined {
  return integerFlag(typeof value === 'string' ? value : undefined, `--${flag}`, 1, Number.MAX_SAFE_INTEGER);
}

export const topoUp: Command = {
  words: ['topo', 'up'],
  usage: `mcr-lab topo up <${Object.keys(BUILDERS).join('|')}> [--prefix P] [--outputs K] [--sources M]`,
  summary: 'create a topology in network namespaces and print it as JSON',
  options: { ...HELP, prefix: { type: 'string' }, outputs: { type: 'string' }, sources: { type: 'string' } },
  allowPositionals: true,
  async run(values, positionals, io) {
    const [kind, ...extra] = positionals;
    if (!kind) throw usage('missing topology kind', this);
    if (!(kind in BUILDERS)) throw usage(`unknown topology "${kind}" (expected one of ${Object.keys(BUILDERS).join(', ')})`, this);
    if (extra.length) throw usage(`unexpected argument "${extra[0]}"`, this);
    if (values.outputs !== undefined && kind !== 'fanout') throw usage('--outputs applies to fanout only', this);
    if (values.sources !== undefined && kind !== 'converge') throw usage('--sources applies to converge only', this);
    const prefix = typeof values.prefix === 'string' ? values.prefix : uniquePrefix();
    const outputs = positiveInt('outputs', values.outputs);
    const sources = positiveInt('sources', values.sources);
    let topo;
    try {
      topo = build(kind as TopologyKind, { prefix, ...(outputs ? { outputs } : {}), ...(sources ? { sources } : {}) });
    } catch (err) {
      if (err instanceof RangeError) throw usage(err.message.replace(/^option "(\w+)"/, '--$1').replace(/^prefix/, '--prefix'), this);
      throw err;
    }
    if ((await listNamespaces()).some((n) => n.startsWith(`${prefix}-`))) {
      throw usage(`--prefix ${prefix} is already in use (mcr-lab topo down ${prefix})`, this);
    }
    await up(topo);
    io.out(JSON.stringify(topo, null, 2));
    return 0;
  },
};

export const topoDown: Command = {
  words: ['topo', 'down'],
  usage: 'mcr-lab topo down <prefix> | --all',
  summary: 'remove a lab (its namespaces and the processes inside them), or every lab with --all',
  options: { ...HELP, all: { type: 'boolean' } },
  allowPositionals: true,
  async run(values, positionals, io) {
    if (values.all) {
      if (positionals.length) throw usage('--all takes no prefix', this);
      for (const ns of await clean()) io.out(`removed ${ns}`);
      return 0;
    }
    const [prefix, ...extra] = positionals;
    if (!prefix) throw usage('missing <prefix> (or --all)', this);
    if (extra.length) throw usage(`unexpected argument "${extra[0]}"`, this);
    if (!prefix.startsWith(PREFIX_FAMILY)) throw usage(`<prefix> must start with "${PREFIX_FAMILY}", received "${prefix}"`, this);
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
  usage: 'mcr-lab topo list [--json]',
  summary: 'list live labs (registry in /run/mcr-lab, checked against ip netns list)',
  options: { ...HELP, json: { type: 'boolean' } },
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
