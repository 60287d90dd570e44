import { request } from '../control/control-client.js';
import type { Response } from '../control/protocol.js';
import type { ReloadSummary } from '../daemon/reload-plan.js';
import type { StatsReport } from '../daemon/stats-report.js';
import type { ReflectorRow } from '../reflectors/reflector.js';
import type { ReflectorConfig } from '../reflectors/reflector-schema.js';
import type { Rule } from '../config/types.js';
import type { PendingRule } from '../daemon/pending-rules.js';
import { choiceValue, integerValue, parseFlags, UsageError, type Flags } from '@mcr/cli-kit';
import { RULE_FIELDS } from '../config/rule-schema.js';
import { DEFAULTS, FORWARD_MODES, ON_DEMAND } from '../config/types.js';
import { RELAY_LIMITS } from '../config/limits.js';
import { parseEndpoint } from './endpoint.js';

const CONTROL_DEFAULT = process.env.MCR_CONTROL ?? DEFAULTS.controlSocket;

/** The flags every client command takes. */
export const CLIENT_FLAGS = {
  control: { value: 'PATH', help: `the relay's control socket ($MCR_CONTROL, else ${DEFAULTS.controlSocket})` },
  json: { help: "print the relay's answer as JSON" },
} as const satisfies Flags;

/**
 * `mcr add`'s flags. Numbers are only checked to be numbers here: their ranges are the relay's to
 * check (its answer names the field and states the limit); the help states them from the same schema.
 */
const ANY_COUNT = integerValue(0, Number.MAX_SAFE_INTEGER);
export const ADD_FLAGS = {
  id: { value: 'ID', describedBy: RULE_FIELDS.id },
  input: { value: 'IFACE:GROUP[/LEN]:PORT', help: 'the stream (or range of groups) to relay (required)' },
  source: { value: 'ADDRESS', describedBy: RULE_FIELDS.source },
  vlan: { value: 'N', schema: ANY_COUNT, describedBy: RULE_FIELDS.vlan },
  output: { value: 'IFACE:GROUP[/LEN]:PORT[:TTL]', multiple: true, help: 'where to send it (required, repeatable); GROUP may be unicast; TTL is the hop limit for IPv6' },
  'max-pps': { value: 'N', schema: ANY_COUNT, describedBy: RULE_FIELDS.maxPps },
  'link-local': { help: 'allow groups that never leave the link, input or output: 224.0.0.0/24, ff01::/16, ff02::/16 (linkLocal: true)' },
  'no-join': {
    help: `join no membership for this rule: its frames arrive by other means (join: false); needed for a range of more than ${RELAY_LIMITS.maxJoinedGroupsPerRange} groups`,
  },
  'ttl-mode': { value: 'MODE', describedBy: RULE_FIELDS.ttlMode, note: 'applies to every output' },
  forward: { value: 'MODE', schema: choiceValue(FORWARD_MODES), describedBy: RULE_FIELDS.forward, note: 'applies to every output' },
  'on-demand': { help: `join the input groups only while a listeners output has a listener (join: "${ON_DEMAND}"); needs --forward listeners` },
  ...CLIENT_FLAGS,
} as const satisfies Flags;

/** Prints the relay's answer and turns it into an exit code: 0 ok, 1 refused. */
function finish(res: Response, json: boolean | undefined, human: (result: any) => string): number {
  if (json) {
    process.stdout.write(`${JSON.stringify(res.ok ? res.result : { error: res.error }, null, 2)}\n`);
  } else if (res.ok) {
    process.stdout.write(`${human(res.result)}\n`);
  }
  if (!res.ok) {
    process.stderr.write(`mcr: ${res.error.code}: ${res.error.message}\n`);
    return 1;
  }
  return 0;
}

export async function pingCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, CLIENT_FLAGS);
  const res = await request(values.control ?? CONTROL_DEFAULT, 'ping');
  return finish(res, values.json, (r) => `pong from pid ${r.pid} (${r.rules} rules)`);
}

export async function listCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, CLIENT_FLAGS);
  const res = await request(values.control ?? CONTROL_DEFAULT, 'list');
  return finish(res, values.json, (r: { rules: Rule[]; pending?: PendingRule[]; reflectors?: ReflectorConfig[] }) => {
    const lines = [...r.rules.map(formatRule), ...(r.pending ?? []).map((p) => `${formatRule(p.rule)}  pending: ${p.reason}`)];
    if (lines.length === 0) lines.push('no rules');
    for (const f of r.reflectors ?? []) lines.push(formatReflector(f));
    return lines.join('\n');
  });
}

export async function statsCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, CLIENT_FLAGS);
  const res = await request(values.control ?? CONTROL_DEFAULT, 'stats');
  return finish(res, values.json, formatStats);
}

export async function reflectorsCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, CLIENT_FLAGS);
  const res = await request(values.control ?? CONTROL_DEFAULT, 'stats');
  const only = res.ok ? { ...res, result: (res.result as StatsReport).reflectors ?? [] } : res;
  return finish(only, values.json, (rows: ReflectorRow[]) => (rows.length === 0 ? 'no reflectors' : formatReflectorStats(rows).slice(2).join('\n')));
}

export async function addCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, ADD_FLAGS);
  if (!values.input) throw new UsageError('--input IFACE:GROUP[/LEN]:PORT is required');
  if (!values.output || values.output.length === 0) throw new UsageError('--output IFACE:GROUP[/LEN]:PORT[:TTL] is required (repeatable)');
  if (values['no-join'] && values['on-demand']) throw new UsageError('--no-join and --on-demand contradict each other: choose one');
  const input = parseEndpoint(values.input, '--input', false);
  const { vlan, 'max-pps': maxPps } = values;
  const ttlMode = values['ttl-mode'];
  const rule = {
    ...(values.id ? { id: values.id } : {}),
    input: { ...input, ...(values.source ? { source: values.source } : {}), ...(vlan === undefined ? {} : { vlan }) },
    ...(maxPps === undefined ? {} : { maxPps }),
    ...(values['link-local'] ? { linkLocal: true } : {}),
    ...(values['no-join'] ? { join: false } : values['on-demand'] ? { join: ON_DEMAND } : {}),
    outputs: values.output.map((o) => ({
      ...parseEndpoint(o, '--output', true),
      ...(ttlMode === undefined ? {} : { ttlMode }),
      ...(values.forward === undefined ? {} : { forward: values.forward }),
    })),
  };
  const res = await request(values.control ?? CONTROL_DEFAULT, 'add', { rule });
  return finish(res, values.json, (r: { rule: Rule }) => `added ${formatRule(r.rule)}`);
}

export async function removeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, CLIENT_FLAGS, true);
  if (positionals.length !== 1) throw new UsageError('remove takes exactly one rule ID');
  const res = await request(values.control ?? CONTROL_DEFAULT, 'remove', { id: positionals[0] });
  return finish(res, values.json, (r: { rule: Rule }) => `removed ${r.rule.id}`);
}

export async function reloadCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, CLIENT_FLAGS);
  // A reload may start and stop workers: allow it the time a rule change may take, and more.
  const res = await request(values.control ?? CONTROL_DEFAULT, 'reload', {}, 30_000);
  if (!res.ok && res.error.issues && !values.json) {
    for (const i of res.error.issues) process.stderr.write(`  ${i.path ? `${i.path}: ` : ''}${i.message}\n`);
  }
  return finish(res, values.json, (r: ReloadSummary) => {
    const list = (ids: string[]) => (ids.length === 0 ? '-' : ids.join(', '));
    const lines = [`added: ${list(r.added)}`, `removed: ${list(r.removed)}`, `changed: ${list(r.changed)}`, `unchanged: ${r.unchanged}`, `runtime rules kept: ${list(r.kept)}`, `pending: ${list(r.pending ?? [])}`];
    for (const a of r.applied) lines.push(`applied: ${a}`);
    for (const i of r.ignoredUntilRestart) lines.push(`ignored until restart: ${i.setting}`);
    return lines.join('\n');
  });
}

/** An endpoint as `mcr add` takes it: IPv6 in brackets, a range with its /LEN. */
function endpoint(iface: string, group: string, prefixLength: number | undefined, port: number): string {
  const address = group.includes(':') ? `[${group}]` : group;
  return `${iface}:${address}${prefixLength === undefined ? '' : `/${prefixLength}`}:${port}`;
}

/** How `mcr list` shows a listeners output: whether a listener has it forwarding now (the relay says, in `forwarding`). */
function forwardNote(o: ListedOutput): string {
  if (o.forward !== 'listeners') return '';
  return o.forwarding === undefined ? ' (listeners)' : o.forwarding ? ' (listeners: forwarding)' : ' (listeners: none, quiet)';
}

type ListedOutput = Rule['outputs'][number] & { forwarding?: boolean };

function formatRule(r: Rule): string {
  const i = r.input;
  const outs = r.outputs.map((o: ListedOutput) => `${endpoint(o.interface, o.group, o.prefixLength, o.port)}:${o.ttl}${o.ttlMode === 'set' ? ' (ttl set)' : ''}${forwardNote(o)}`).join(', ');
  const extras = [i.vlan === undefined ? '' : ` vlan ${i.vlan}`, i.source ? ` from ${i.source}` : ''].join('');
  const limits = [r.maxPps === undefined ? '' : `  max ${r.maxPps} pps`, r.linkLocal ? '  link-local' : '', r.join === false ? '  no-join' : r.join === ON_DEMAND ? '  join on-demand' : ''].join('');
  return `${r.id}  ${endpoint(i.interface, i.group, i.prefixLength, i.port)}${extras} -> ${outs}${limits}`;
}

/** A reflector as `mcr list` shows it: `reflector home mdns 224.0.0.251,ff02::fb:5353 among eth0, eth1 (ipv4, ipv6)` and its lists. */
function formatReflector(f: ReflectorConfig): string {
  const groups = [f.families.includes('ipv4') ? f.endpoint.group : undefined, f.families.includes('ipv6') ? f.endpoint.group6 : undefined].filter((g) => g !== undefined);
  const lists = (x: { allow?: readonly string[]; deny?: readonly string[] }) =>
    [x.allow === undefined ? '' : ` allow ${x.allow.join(',')}`, x.deny === undefined ? '' : ` deny ${x.deny.join(',')}`].join('');
  const members = f.interfaces.map((m) => `${m.name}${lists(m) === '' ? '' : ` (${lists(m).trim()})`}`).join(', ');
  return `reflector ${f.id}  ${f.protocol} ${groups.join(',')}:${f.endpoint.port} among ${members} (${f.families.join(', ')})${f.source === 'relay' ? ' source relay' : ''}${lists(f)}`;
}

/** The reflectors part of `mcr stats`: per member what arrived, per path what was sent. */
export function formatReflectorStats(rows: readonly ReflectorRow[]): string[] {
  if (rows.length === 0) return [];
  const lines = ['', 'reflectors:'];
  for (const r of rows) {
    lines.push(`  ${r.id} (${r.protocol})${r.source === 'relay' ? ` source relay, reply proxy entries ${r.proxyEntries}` : ''}`);
    for (const m of r.members) {
      const proxy = r.source === 'relay' ? ` proxied ${m.proxied} expired ${m.proxyExpired} proxyfull ${m.proxyFull}` : '';
      lines.push(
        `    ${m.interface} ${m.family} ${m.group}:${m.port}${m.error === null ? '' : ` NOT OPEN: ${m.error}`}  received ${m.received} suppressed ${m.suppressed} ownframes ${m.ownFrames} parseerr ${m.parseErrors} kdrops ${m.kernelDrops}${proxy}`,
      );
    }
    for (const p of r.paths) lines.push(`    ${p.from} -> ${p.to} ${p.family}  reflected ${p.reflected} filtered ${p.filtered} rewritten ${p.rewritten} senderr ${p.sendErrors}`);
  }
  return lines;
}

function formatStats(s: StatsReport): string {
  const lines = [`pid ${s.pid}, up ${s.uptimeSec} s`, '', 'rules:'];
  for (const r of s.rules) {
    lines.push(`  ${r.id}  matched ${r.matched}  bytes ${r.bytes}${r.rateLimited ? `  ratelimited ${r.rateLimited}` : ''}  ` + r.outputs.map((o) => `-> ${o.interface}:${o.group}:${o.port} ${o.packets} pkts ${o.txErrors} txerr${o.notListened ? ` ${o.notListened} notlistened` : ''}`).join('  '));
  }
  for (const p of s.pending ?? []) lines.push(`  ${p.id}  pending: ${p.reason}`);
  if (s.stateFile) lines.push('', `state file ${s.stateFile.path}: ${s.stateFile.ok ? 'ok' : `NOT OK: ${s.stateFile.error}`}`);
  lines.push('', 'workers:');
  for (const w of s.workers) {
    lines.push(
      `  ${w.interface}#${w.index} pid ${w.pid ?? '-'} ${w.state} restarts ${w.restarts}  frames ${w.framesSeen} matched ${w.matched} forwarded ${w.forwarded} nomatch ${w.noMatch} malformed ${w.malformed} fragments ${w.fragments} txerr ${w.txErrors} kdrops ${w.kernelDrops}` +
        ` ownframes ${w.ownFrames} ttlexpired ${w.ttlExpired} ratelimited ${w.rateLimited} badsum ${w.badChecksum} absent ${w.outputAbsent} notlistened ${w.notListened} exthdr ${w.extensionHeaders}`,
    );
    if (w.lastError) lines.push(`    last error: ${w.lastError}`);
  }
  lines.push('', 'interfaces:');
  for (const i of s.interfaces) {
    const fanout = i.fanout ? `  fanout ${i.fanout.mode === 'off' ? 'off' : `group ${i.fanout.id ?? '?'} mode ${i.fanout.mode}`}` : '';
    lines.push(`  ${i.name}${i.renamedTo ? ` (now ${i.renamedTo})` : ''} ifindex ${i.ifindex ?? '-'} ${i.up ? 'up' : 'DOWN'} ipv4 ${i.ipv4 ?? '-'} ipv6 ${[i.ipv6, i.ipv6LinkLocal].filter((a) => a !== null).join(' ') || '-'} mtu ${i.mtu}${fanout}`);
  }
  if ((s.queriers ?? []).length > 0) {
    lines.push('', 'queriers:');
    for (const q of s.queriers) lines.push(`  ${q.interface} ${q.family === 'ipv4' ? 'IGMP' : 'MLD'}v${q.version} ${q.state === 'querier' ? 'this relay queries' : `${q.querier} queries`}`);
    lines.push('', 'listeners:');
    for (const l of s.listeners) {
      lines.push(`  ${l.interface} ${l.group}${l.source === null ? '' : ` source ${l.source}`} ${l.mode}${l.expiresInMs === null ? '' : ` expires in ${l.expiresInMs} ms`}${l.lastReporter ? ` (last report from ${l.lastReporter})` : ''}`);
    }
    if (s.listeners.length === 0) lines.push('  none');
  }
  const g = s.igmp;
  lines.push('', `memberships (IGMP, MLD): attempted ${g.attempted} succeeded ${g.succeeded} failed ${g.failed} left ${g.left}`);
  for (const m of g.memberships) {
    const kind = `${m.family === 'ipv6' ? 'MLD' : 'IGMP'} ${m.source === undefined ? 'any-source' : `source ${m.source}`}`;
    lines.push(`  ${m.interface} ${m.group} ${kind} (rules: ${m.rules.join(', ')})${m.joined ? '' : ` NOT JOINED: ${m.error}; retrying`}`);
  }
  lines.push(...formatReflectorStats(s.reflectors ?? []));
  return lines.join('\n');
}
