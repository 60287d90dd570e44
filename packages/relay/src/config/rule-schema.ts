import { isIpv4, isLinkLocalMulticast, isMulticast } from '../net/ipv4.js';
import { isValidInterfaceName } from '../net/interfaces.js';
import { ConfigError } from './config-error.js';
import { FieldReader, join } from './fields.js';
import { DEFAULTS, type InputSpec, type OutputSpec, type Rule } from './types.js';

export const RULE_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

export interface RuleCheckOptions {
  /** Decides whether an interface exists; the relay passes a sysfs lookup in its own namespace. */
  interfaceExists: (name: string) => boolean;
}

/**
 * Checks one untrusted rule (from the config file or the control socket). `id` may be absent:
 * the caller generates one. Returns undefined after recording issues in `reader`.
 */
export function readRule(
  reader: FieldReader,
  value: unknown,
  path: string,
  options: RuleCheckOptions,
): (Omit<Rule, 'id'> & { id?: string }) | undefined {
  const obj = reader.object(value, path);
  if (!obj) return undefined;
  reader.onlyKeys(obj, path, ['id', 'input', 'outputs']);
  const id = obj.id === undefined ? undefined : reader.string(obj.id, join(path, 'id'), RULE_ID, 'letters, digits, _ . : - (1..64 characters)');
  const input = readInput(reader, obj.input, join(path, 'input'), options);
  const list = reader.array(obj.outputs, join(path, 'outputs'), 1);
  const outputs = (list ?? []).map((o, i) => readOutput(reader, o, join(join(path, 'outputs'), i), options));
  if (!input || !list || outputs.some((o) => o === undefined)) return undefined;
  if (obj.id !== undefined && id === undefined) return undefined;
  return { ...(id === undefined ? {} : { id }), input, outputs: outputs as OutputSpec[] };
}

function readInterface(reader: FieldReader, value: unknown, path: string, options: RuleCheckOptions): string | undefined {
  const name = reader.string(value, path);
  if (name === undefined) return undefined;
  if (!isValidInterfaceName(name)) return reader.fail(path, `"${name}" is not a valid interface name`);
  if (!options.interfaceExists(name)) return reader.fail(path, `unknown interface "${name}"`);
  return name;
}

function readInput(reader: FieldReader, value: unknown, path: string, options: RuleCheckOptions): InputSpec | undefined {
  const obj = reader.object(value, path);
  if (!obj) return undefined;
  reader.onlyKeys(obj, path, ['interface', 'group', 'port', 'source']);
  const iface = readInterface(reader, obj.interface, join(path, 'interface'), options);
  let group = reader.string(obj.group, join(path, 'group'));
  if (group !== undefined && !isMulticast(group)) {
    group = reader.fail(join(path, 'group'), `must be an IPv4 multicast group (224.0.0.0/4), got "${group}"`);
  } else if (group !== undefined && isLinkLocalMulticast(group)) {
    group = reader.fail(join(path, 'group'), `224.0.0.0/24 is link-local control traffic and cannot be relayed, got "${group}"`);
  }
  const port = reader.integer(obj.port, join(path, 'port'), 1, 65535);
  let source: string | undefined;
  if (obj.source !== undefined) {
    source = reader.string(obj.source, join(path, 'source'));
    if (source !== undefined && (!isIpv4(source) || isMulticast(source))) {
      source = reader.fail(join(path, 'source'), `must be a unicast IPv4 address, got "${source}"`);
    }
    if (source === undefined) return undefined;
  }
  if (iface === undefined || group === undefined || port === undefined) return undefined;
  return { interface: iface, group, port, ...(source === undefined ? {} : { source }) };
}

function readOutput(reader: FieldReader, value: unknown, path: string, options: RuleCheckOptions): OutputSpec | undefined {
  const obj = reader.object(value, path);
  if (!obj) return undefined;
  reader.onlyKeys(obj, path, ['interface', 'group', 'port', 'ttl']);
  const iface = readInterface(reader, obj.interface, join(path, 'interface'), options);
  let group = reader.string(obj.group, join(path, 'group'));
  if (group !== undefined && !isIpv4(group)) {
    group = reader.fail(join(path, 'group'), `must be an IPv4 address (a multicast group, or unicast), got "${group}"`);
  }
  const port = reader.integer(obj.port, join(path, 'port'), 1, 65535);
  const ttl = obj.ttl === undefined ? DEFAULTS.ttl : reader.integer(obj.ttl, join(path, 'ttl'), 1, 255);
  if (iface === undefined || group === undefined || port === undefined || ttl === undefined) return undefined;
  return { interface: iface, group, port, ttl };
}

/** Validates one rule on its own (the control socket's `add`); throws ConfigError. */
export function parseRule(value: unknown, options: RuleCheckOptions, path = 'rule') {
  const reader = new FieldReader();
  const rule = readRule(reader, value, path, options);
  if (!rule || reader.issues.length > 0) throw new ConfigError(reader.issues);
  return rule;
}
