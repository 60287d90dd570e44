// The config's `reflectors` section: discovery protocols reflected among interfaces. One zod schema in
// the relay's config style (every issue with its field path); the protocols' facts come from
// protocols.ts, the service lists are read as mdns-filter.ts matches them.
import { z } from 'zod';
import { multicastGroup, NATIVE_FIELDS, parseIpAddress, interfaceName as validInterfaceName } from '@mcr/relay-native';
import { array, object, oneOf, text } from '../config/schema-fields.js';
import type { RuleCheckOptions } from '../config/rule-schema.js';
import { RELAY_LIMITS } from '../config/limits.js';
import { normalizeServiceType, type ServiceFilter } from './mdns-filter.js';
import { CUSTOM_REPLY_WINDOW, REFLECTOR_PROTOCOL_NAMES, REFLECTOR_PROTOCOLS, type ReflectorEndpoint, type ReflectorProtocolName } from './protocols.js';

export const REFLECTOR_FAMILIES = ['ipv4', 'ipv6'] as const;
export type ReflectorFamily = (typeof REFLECTOR_FAMILIES)[number];
/** Whose address a reflected copy leaves from: its sender's, or the relay's own on the output (with the reply proxy). */
export const REFLECTOR_SOURCES = ['original', 'relay'] as const;
export type ReflectorSource = (typeof REFLECTOR_SOURCES)[number];
const REFLECTOR_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

export interface ReflectorInterface extends ServiceFilter {
  name: string;
}

export interface ReflectorConfig extends ServiceFilter {
  id: string;
  /** A protocol's name, or "custom" for { group, group6, port }. */
  protocol: ReflectorProtocolName | 'custom';
  endpoint: ReflectorEndpoint;
  interfaces: ReflectorInterface[];
  families: ReflectorFamily[];
  source: ReflectorSource;
}

const serviceTypes = () =>
  array(text(/^_[A-Za-z0-9-]+\._(tcp|udp)(\.local\.?)?$/i, 'a DNS-SD service type like "_ipp._tcp"'))
    .max(RELAY_LIMITS.maxServiceTypesPerList, { error: `must hold at most ${RELAY_LIMITS.maxServiceTypesPerList} service types (RELAY_LIMITS.maxServiceTypesPerList)` })
    .optional()
    .describe('mdns only: DNS-SD service types; allow: only these pass (when non-empty), deny: these never pass');


const customProtocol = object({
  group: multicastGroup().optional().describe('the IPv4 group'),
  group6: multicastGroup().optional().describe('the IPv6 group'),
  port: NATIVE_FIELDS.port().describe('the UDP port'),
}).superRefine((p, ctx) => {
  if (p.group === undefined && p.group6 === undefined) ctx.addIssue({ code: 'custom', message: 'must name group, group6 or both', path: [] });
  if (p.group !== undefined && parseIpAddress(p.group)!.family !== 'ipv4') ctx.addIssue({ code: 'custom', message: `must be an IPv4 group, got "${p.group}"`, path: ['group'] });
  if (p.group6 !== undefined && parseIpAddress(p.group6)!.family !== 'ipv6') ctx.addIssue({ code: 'custom', message: `must be an IPv6 group, got "${p.group6}"`, path: ['group6'] });
});

export function reflectorSchema(options: RuleCheckOptions) {
  const member = z.union([validInterfaceName(), object({ name: validInterfaceName(), allow: serviceTypes(), deny: serviceTypes() })], {
    error: (issue) => `must be an interface name or { name, allow, deny }, got ${JSON.stringify(issue.input) ?? 'nothing'}`,
  });
  return object({
    id: text(REFLECTOR_ID, 'an id of 1-64 letters, digits and _ . : -').describe('names the reflector in stats, metrics and logs'),
    protocol: z
      .union([oneOf(REFLECTOR_PROTOCOL_NAMES), customProtocol], { error: (issue) => `must be one of ${REFLECTOR_PROTOCOL_NAMES.join(' | ')} or { group, group6, port }, got ${JSON.stringify(issue.input) ?? 'nothing'}` })
      .describe('mdns (224.0.0.251 / ff02::fb :5353), ssdp (239.255.255.250 / ff02::c :1900), wsd (239.255.255.250 / ff02::c :3702), or { group, group6, port }'),
    interfaces: array(member, 2)
      .max(RELAY_LIMITS.maxReflectorInterfaces, { error: `must hold at most ${RELAY_LIMITS.maxReflectorInterfaces} interfaces (RELAY_LIMITS.maxReflectorInterfaces)` })
      .describe('member interfaces: a datagram heard on one is sent on every other; a member may carry its own allow / deny lists (what its segment is sent)'),
    families: array(oneOf(REFLECTOR_FAMILIES), 1).default([...REFLECTOR_FAMILIES]).describe('the address families reflected'),
    source: oneOf(REFLECTOR_SOURCES)
      .default('original')
      .describe(
        'original: a copy keeps its sender\'s address and port, unicast answers find the sender by routing; relay: a copy leaves from the relay\'s address on the output (IPv4: its first address, IPv6: its link-local one) and the reply proxy carries unicast answers back to the requester',
      ),
    allow: serviceTypes(),
    deny: serviceTypes(),
  }).superRefine((r, ctx) => {
    const names = r.interfaces.map((m) => (typeof m === 'string' ? m : m.name));
    names.forEach((name, i) => {
      if (!options.interfaceExists(name)) ctx.addIssue({ code: 'custom', message: `unknown interface "${name}"`, path: ['interfaces', i] });
      else if (names.indexOf(name) !== i) ctx.addIssue({ code: 'custom', message: `repeats interface "${name}"`, path: ['interfaces', i] });
    });
    const dns = typeof r.protocol === 'string' && REFLECTOR_PROTOCOLS[r.protocol].dns;
    const lists = r.allow !== undefined || r.deny !== undefined || r.interfaces.some((m) => typeof m !== 'string' && (m.allow !== undefined || m.deny !== undefined));
    if (lists && !dns) ctx.addIssue({ code: 'custom', message: 'allow and deny lists are DNS-SD service types: only protocol "mdns" takes them', path: ['protocol'] });
  });
}

export type ParsedReflector = z.output<ReturnType<typeof reflectorSchema>>;

export function reflectorsSchema(options: RuleCheckOptions) {
  return array(reflectorSchema(options))
    .max(RELAY_LIMITS.maxReflectors, { error: `must hold at most ${RELAY_LIMITS.maxReflectors} reflectors (RELAY_LIMITS.maxReflectors)` })
    .superRefine((list, ctx) => {
      list.forEach((r, i) => {
        if (list.findIndex((o) => o.id === r.id) !== i) ctx.addIssue({ code: 'custom', message: `repeats the id "${r.id}"`, path: [i, 'id'] });
      });
    })
    .default([])
    .describe('discovery reflectors (mDNS, SSDP, WS-Discovery); restart-only: a reload reports a change as ignoredUntilRestart');
}

const types = (list: readonly string[] | undefined) => (list === undefined ? undefined : list.map(normalizeServiceType));

/** The normalised form the daemon runs. */
export function toReflectorConfig(r: ParsedReflector): ReflectorConfig {
  const endpoint: ReflectorEndpoint =
    typeof r.protocol === 'string'
      ? REFLECTOR_PROTOCOLS[r.protocol]
      : {
          ...(r.protocol.group === undefined ? {} : { group: parseIpAddress(r.protocol.group)!.text }),
          ...(r.protocol.group6 === undefined ? {} : { group6: parseIpAddress(r.protocol.group6)!.text }),
          port: r.protocol.port,
          hopLimit: 'keep',
          dns: false,
          replyWindow: CUSTOM_REPLY_WINDOW,
        };
  const filter = (f: { allow?: readonly string[] | undefined; deny?: readonly string[] | undefined }): ServiceFilter => ({
    ...(f.allow === undefined ? {} : { allow: types(f.allow)! }),
    ...(f.deny === undefined ? {} : { deny: types(f.deny)! }),
  });
  return {
    id: r.id,
    protocol: typeof r.protocol === 'string' ? r.protocol : 'custom',
    endpoint,
    interfaces: r.interfaces.map((m) => (typeof m === 'string' ? { name: m } : { name: m.name, ...filter(m) })),
    families: [...new Set(r.families)],
    source: r.source,
    ...filter(r),
  };
}
