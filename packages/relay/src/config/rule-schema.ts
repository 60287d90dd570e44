import { isIpv4, isLinkLocalMulticast, isMulticast, unsendableUnicast } from '../net/ipv4.js';
import { isEthernetInterface, isValidInterfaceName } from '../net/interfaces.js';
import { ConfigError } from './config-error.js';
import { FieldReader, join } from './fields.js';
import { NATIVE_LIMITS } from './limits.js';
import { DEFAULTS, TTL_MODES, type InputSpec, type OutputSpec, type Rule } from './types.js';

export const RULE_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

export interface RuleCheckOptions {
  /** Decides whether an interface exists; the relay passes a sysfs lookup in its own namespace. */
  interfaceExists: (name: string) => boolean;
  /**
   * Decides whether an interface has an Ethernet MAC (frames are rewritten and sent with one);
   * default: the sysfs lookup in the relay's namespace.
   */
  isEthernet?: (name: string) => boolean;
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
  reader.onlyKeys(obj, path, ['id', 'input', 'outputs', 'maxPps', 'linkLocal']);
  const id = obj.id === undefined ? undefined : reader.string(obj.id, join(path, 'id'), RULE_ID, 'letters, digits, _ . : - (1..64 characters)');
  const input = readInput(reader, obj.input, join(path, 'input'), options);
  const maxPps = obj.maxPps === undefined ? undefined : reader.integer(obj.maxPps, join(path, 'maxPps'), 1, NATIVE_LIMITS.maxPps);
  const linkLocal = obj.linkLocal === undefined ? false : reader.boolean(obj.linkLocal, join(path, 'linkLocal'));
  const outputsPath = join(path, 'outputs');
  let list = reader.array(obj.outputs, outputsPath, 1);
  if (list && list.length > NATIVE_LIMITS.maxOutputsPerRule) {
    list = reader.fail(outputsPath, `at most ${NATIVE_LIMITS.maxOutputsPerRule} outputs per rule (the data plane's limit), got ${list.length}`);
  }
  const outputs = (list ?? []).map((o, i) => readOutput(reader, o, join(outputsPath, i), options, linkLocal === true));
  if (!input || !list || outputs.some((o) => o === undefined)) return undefined;
  if (!distinctOutputs(reader, outputs as OutputSpec[], outputsPath)) return undefined;
  if ((obj.id !== undefined && id === undefined) || (obj.maxPps !== undefined && maxPps === undefined) || linkLocal === undefined) return undefined;
  return {
    ...(id === undefined ? {} : { id }),
    input,
    outputs: outputs as OutputSpec[],
    ...(maxPps === undefined ? {} : { maxPps }),
    ...(linkLocal ? { linkLocal } : {}),
  };
}

/** Two outputs with the same (interface, group, port) would send every frame twice. */
function distinctOutputs(reader: FieldReader, outputs: OutputSpec[], path: string): boolean {
  const seen = new Map<string, number>();
  let ok = true;
  outputs.forEach((o, i) => {
    const key = `${o.interface}|${o.group}|${o.port}`;
    const first = seen.get(key);
    if (first !== undefined) {
      reader.fail(join(path, i), `duplicate output: ${path}[${first}] already sends to ${o.group}:${o.port} on ${o.interface}`);
      ok = false;
    } else seen.set(key, i);
  });
  return ok;
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
  reader.onlyKeys(obj, path, ['interface', 'group', 'port', 'source', 'vlan']);
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
  const vlan = obj.vlan === undefined ? undefined : reader.integer(obj.vlan, join(path, 'vlan'), 0, NATIVE_LIMITS.maxVlanId);
  if (obj.vlan !== undefined && vlan === undefined) return undefined;
  if (iface === undefined || group === undefined || port === undefined) return undefined;
  return { interface: iface, group, port, ...(source === undefined ? {} : { source }), ...(vlan === undefined ? {} : { vlan }) };
}

function readOutput(reader: FieldReader, value: unknown, path: string, options: RuleCheckOptions, linkLocal: boolean): OutputSpec | undefined {
  const obj = reader.object(value, path);
  if (!obj) return undefined;
  reader.onlyKeys(obj, path, ['interface', 'group', 'port', 'ttl', 'ttlMode']);
  let iface = readInterface(reader, obj.interface, join(path, 'interface'), options);
  if (iface !== undefined && !(options.isEthernet ?? isEthernetInterface)(iface)) {
    // Outputs are sent as rewritten Ethernet frames with the interface's MAC as their source: an
    // interface without one (tun, wg, gre, lo) cannot carry them.
    iface = reader.fail(join(path, 'interface'), `${iface} has no Ethernet MAC address (tun, wg, gre, lo and other non-Ethernet interfaces cannot be outputs)`);
  }
  const groupPath = join(path, 'group');
  let group = reader.string(obj.group, groupPath);
  if (group !== undefined && !isIpv4(group)) {
    group = reader.fail(groupPath, `must be an IPv4 address (a multicast group, or unicast), got "${group}"`);
  } else if (group !== undefined && isLinkLocalMulticast(group) && !linkLocal) {
    group = reader.fail(groupPath, `224.0.0.0/24 is link-local control traffic; the rule must say linkLocal: true to send to it, got "${group}"`);
  } else if (group !== undefined && !isMulticast(group)) {
    const why = unsendableUnicast(group);
    if (why) group = reader.fail(groupPath, `cannot send to ${why}, got "${group}"`);
  }
  const port = reader.integer(obj.port, join(path, 'port'), 1, 65535);
  const ttl = obj.ttl === undefined ? DEFAULTS.ttl : reader.integer(obj.ttl, join(path, 'ttl'), 1, 255);
  const ttlMode = obj.ttlMode === undefined ? DEFAULTS.ttlMode : reader.oneOf(obj.ttlMode, join(path, 'ttlMode'), TTL_MODES);
  if (iface === undefined || group === undefined || port === undefined || ttl === undefined || ttlMode === undefined) return undefined;
  return { interface: iface, group, port, ttl, ttlMode };
}

/** Validates one rule on its own (the control socket's `add`); throws ConfigError. */
export function parseRule(value: unknown, options: RuleCheckOptions, path = 'rule') {
  const reader = new FieldReader();
  const rule = readRule(reader, value, path, options);
  if (!rule || reader.issues.length > 0) throw new ConfigError(reader.issues);
  return rule;
}
