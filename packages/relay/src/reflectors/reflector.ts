// One reflector at work: a DatagramSocket per member interface and family, and every datagram heard
// on one member sent on every other (never back where it came from). What it drops and why:
// - frames from the relay's own MACs (a copy it sent that came in on another member on the same link);
// - a datagram the loop cache (loop-cache.ts) has seen within its window: a copy that came back
//   through another reflector, of this relay or another one, or round a physical loop;
// - for mDNS, what the destination's service lists refuse, and link-local addresses (mdns-filter.ts).
// A copy goes out with the protocol's TTL / hop limit (mDNS 255, RFC 6762 §11; others what came in)
// and, by default (`source: "original"`), its sender's source address and port, so unicast replies
// find the sender by routing. With `source: "relay"` it leaves from the relay's own address on the
// output (IPv4: the first; IPv6: the link-local one) and, for a query that expects unicast answers,
// from a port of the reply proxy (reply-proxy.ts), which carries those answers back to the requester.
// An mDNS message from port 5353 keeps that port: it is a full querier's or a responder's, answered
// by multicast, which comes back through the reflector like any datagram (its questions' QU bits
// cleared: a unicast answer to the relay's port 5353 would find nobody); only a legacy querier (any
// other port) expects unicast answers, through the proxy.
import { readFileSync } from 'node:fs';
import type { Datagram, DatagramCounters, DatagramSocketOptions } from '@mcr/relay-native';
import type { RuleMemberships } from '../daemon/memberships.js';
import type { Logger } from '../log.js';
import { datagramKey, type LoopCache } from './loop-cache.js';
import { clearUnicastResponse, filterMdns, type ServiceFilter } from './mdns-filter.js';
import { replyWindowMs } from './protocols.js';
import { noAddress, ReplyProxy, type ProxyEvent } from './reply-proxy.js';
import type { ReflectorConfig, ReflectorFamily, ReflectorSource } from './reflector-schema.js';

/** What a reflector needs of a DatagramSocket (the daemon passes the native one). */
export interface ReflectorSocket {
  send(message: { source: string; sourcePort: number; hopLimit: number; payload: Buffer }): void;
  counters(): DatagramCounters;
  close(): void;
}
export type OpenReflectorSocket = (options: DatagramSocketOptions) => ReflectorSocket;
/** The relay's membership owner (IGMP / MLD), shared with the rules: a reflector holds its groups under `reflector <id>`. */
export type ReflectorMemberships = Pick<RuleMemberships, 'acquire' | 'release'>;

export interface ReflectorDeps {
  open: OpenReflectorSocket;
  /** The relay namespace's own MACs, lower case. */
  ownMacs: () => ReadonlySet<string>;
  /** Shared by every reflector of the relay: a copy coming back through another one is caught too. */
  cache: LoopCache;
  log: Logger;
  /** TEST-ONLY (testOnly.noLoopCache): the cache is not consulted, so a loop storms (the negative control). */
  noLoopCache: boolean;
  /**
   * Joins each member's group (IGMP / MLD) while its socket is open, so a snooping switch forwards the
   * group to the relay (the socket's PACKET_MR_MULTICAST opens only the NIC's filter). null: no joins
   * (testOnly.noReflectorJoins, the snooping check's negative control).
   */
  memberships: ReflectorMemberships | null;
  /** The relay's own address on an interface (IPv4: first; IPv6: link-local), for `source: "relay"`. */
  localAddress: (iface: string, family: ReflectorFamily) => string | null;
  now?: () => number;
}

/** A member's socket of one family: what arrived there. */
export interface ReflectorMemberRow {
  interface: string;
  family: ReflectorFamily;
  group: string;
  port: number;
  /** null while open; else why it is not (an interface that is absent, a refused socket). */
  error: string | null;
  received: number;
  /** Dropped: frames from the relay's own MACs. */
  ownFrames: number;
  /** Dropped: copies the loop cache recognised. */
  suppressed: number;
  /** mDNS messages that did not parse (sent as they came where no service list applies, else dropped). */
  parseErrors: number;
  kernelDrops: number;
  droppedBacklog: number;
  droppedMalformed: number;
  /** source "relay": unicast answers the reply proxy sent on to requesters on this interface. */
  proxied: number;
  /** source "relay": answers that arrived here after their entry's window, dropped. */
  proxyExpired: number;
  /** source "relay": queries heard here that found the reply proxy full (sent without an entry). */
  proxyFull: number;
}

/** From one member to another, one family. */
export interface ReflectorPathRow {
  from: string;
  to: string;
  family: ReflectorFamily;
  reflected: number;
  /** Not sent: nothing left once the destination's service lists applied (or unparsed under a list). */
  filtered: number;
  /** Sent modified (records removed by the service lists or for link-local addresses). */
  rewritten: number;
  sendErrors: number;
}

export interface ReflectorRow {
  id: string;
  protocol: string;
  families: ReflectorFamily[];
  interfaces: string[];
  source: ReflectorSource;
  /** source "relay": requesters the reply proxy holds (both families). */
  proxyEntries: number;
  members: ReflectorMemberRow[];
  paths: ReflectorPathRow[];
}

interface Member {
  name: string;
  family: ReflectorFamily;
  group: string;
  filters: ServiceFilter[]; // the reflector's, then the member's own: what this segment is sent
  socket: ReflectorSocket | null;
  /** The interface's ifindex when last looked at (the socket's, while open); null: absent; undefined: not yet. */
  ifindex?: number | null;
  /** Its group is held in the relay's memberships. */
  joined: boolean;
  row: ReflectorMemberRow;
  /** The socket counters of the sockets closed before this one (a member reopened carries on counting). */
  closedCounts: Pick<DatagramCounters, 'kernelDrops' | 'droppedBacklog' | 'droppedMalformed'>;
}

export function interfaceIndex(name: string): number | null {
  try {
    return Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim());
  } catch {
    return null;
  }
}

export class Reflector {
  private readonly members: Member[] = [];
  private readonly paths = new Map<string, ReflectorPathRow>();
  private readonly now: () => number;
  /** source "relay": one reply proxy per family. */
  private readonly proxies = new Map<ReflectorFamily, ReplyProxy>();

  constructor(
    readonly config: ReflectorConfig,
    private readonly deps: ReflectorDeps,
  ) {
    this.now = deps.now ?? Date.now;
    const { endpoint } = config;
    for (const family of config.families) {
      const group = family === 'ipv4' ? endpoint.group : endpoint.group6;
      if (group === undefined) continue; // a custom protocol without this family's group
      for (const m of config.interfaces) {
        const filters = [config, m].filter((f) => f.allow !== undefined || f.deny !== undefined);
        const row: ReflectorMemberRow = {
          interface: m.name, family, group, port: endpoint.port, error: 'not started',
          received: 0, ownFrames: 0, suppressed: 0, parseErrors: 0, kernelDrops: 0, droppedBacklog: 0, droppedMalformed: 0,
          proxied: 0, proxyExpired: 0, proxyFull: 0,
        };
        this.members.push({ name: m.name, family, group, filters, socket: null, joined: false, row, closedCounts: { kernelDrops: 0, droppedBacklog: 0, droppedMalformed: 0 } });
      }
      if (config.source === 'relay') {
        const counted: Record<ProxyEvent, 'proxied' | 'proxyExpired' | 'proxyFull'> = { proxied: 'proxied', expired: 'proxyExpired', full: 'proxyFull' };
        this.proxies.set(family, new ReplyProxy({
          family,
          localAddress: (iface) => deps.localAddress(iface, family),
          returnPort: endpoint.dns ? endpoint.port : 0,
          count: (iface, event) => {
            const member = this.members.find((m) => m.name === iface && m.family === family);
            if (member) member.row[counted[event]]++;
          },
          log: deps.log,
          now: this.now,
        }));
      }
    }
  }

  /** Opens every member's sockets; one that cannot open is logged and shown in its row, the others run. */
  start(): void {
    for (const member of this.members) this.open(member, interfaceIndex(member.name));
  }

  /**
   * On every poll of the relay's interface watcher (within a second, sooner on a link event): a member
   * whose interface appeared is opened and joins its group; one whose interface went, or came back
   * with another ifindex (its socket is bound to the old one, and the kernel dropped the membership),
   * is closed and reopened once it is there. An open that failed is retried when the ifindex changes.
   */
  refresh(): void {
    for (const member of this.members) {
      const ifindex = interfaceIndex(member.name);
      if (ifindex === member.ifindex) continue;
      const again = member.ifindex !== undefined;
      if (member.socket) this.closeMember(member);
      this.open(member, ifindex);
      if (member.socket && again) this.deps.log.info(`reflector ${this.config.id}: ${member.name} is there (ifindex ${ifindex}): ${member.family} reflected there again`);
    }
  }

  close(): void {
    for (const member of this.members) {
      if (!member.socket) continue;
      this.closeMember(member);
      member.row.error = 'closed';
    }
    for (const proxy of this.proxies.values()) proxy.close();
  }

  private open(member: Member, ifindex: number | null): void {
    member.ifindex = ifindex;
    if (ifindex === null) {
      member.row.error = `interface ${member.name} is absent`;
      this.deps.log.warn(`reflector ${this.config.id}: ${member.row.error}; ${member.family} reflected there once it appears`);
      return;
    }
    try {
      member.socket = this.deps.open({
        ifindex,
        interfaceName: member.name,
        family: member.family,
        group: member.group,
        port: this.config.endpoint.port,
        onDatagram: (d) => this.onDatagram(member, d),
        onError: (err) => this.deps.log.warn(`reflector ${this.config.id} on ${member.name} (${member.family}): ${err.message}`),
      });
      member.row.error = null;
      this.join(member);
    } catch (err) {
      member.row.error = (err as Error).message;
      this.deps.log.error(`reflector ${this.config.id}: cannot open ${member.name} (${member.family}): ${member.row.error}`);
    }
  }

  private closeMember(member: Member): void {
    if (!member.socket) return;
    this.snapshotSocket(member);
    member.socket.close();
    member.socket = null;
    const { kernelDrops, droppedBacklog, droppedMalformed } = member.row;
    member.closedCounts = { kernelDrops, droppedBacklog, droppedMalformed };
    if (member.joined) this.deps.memberships?.release([this.joinOf(member)]);
    member.joined = false;
  }

  private joinOf(member: Member) {
    return { rule: `reflector ${this.config.id}`, membership: { interface: member.name, family: member.family, group: member.group } };
  }

  /** A join that fails is logged (and counted failed in mcr stats' memberships); the member still reflects what reaches it. */
  private join(member: Member): void {
    if (!this.deps.memberships) return;
    try {
      this.deps.memberships.acquire([this.joinOf(member)]);
      member.joined = true;
    } catch (err) {
      this.deps.log.warn(`reflector ${this.config.id}: cannot join ${member.group} on ${member.name}: ${(err as Error).message}; a snooping switch may send it nothing`);
    }
  }

  row(): ReflectorRow {
    for (const member of this.members) this.snapshotSocket(member);
    return {
      id: this.config.id,
      protocol: this.config.protocol,
      families: this.config.families,
      interfaces: this.config.interfaces.map((m) => m.name),
      source: this.config.source,
      proxyEntries: [...this.proxies.values()].reduce((n, p) => n + p.size, 0),
      members: this.members.map((m) => ({ ...m.row })),
      paths: [...this.paths.values()].map((p) => ({ ...p })),
    };
  }

  private snapshotSocket(member: Member): void {
    if (!member.socket) return;
    const c = member.socket.counters();
    const b = member.closedCounts;
    Object.assign(member.row, { kernelDrops: b.kernelDrops + c.kernelDrops, droppedBacklog: b.droppedBacklog + c.droppedBacklog, droppedMalformed: b.droppedMalformed + c.droppedMalformed });
  }

  private path(from: Member, to: Member): ReflectorPathRow {
    const key = `${from.name}\0${to.name}\0${from.family}`;
    let row = this.paths.get(key);
    if (!row) this.paths.set(key, (row = { from: from.name, to: to.name, family: from.family, reflected: 0, filtered: 0, rewritten: 0, sendErrors: 0 }));
    return row;
  }

  private onDatagram(from: Member, d: Datagram): void {
    from.row.received++;
    if (this.deps.ownMacs().has(d.sourceMac.toLowerCase())) {
      from.row.ownFrames++;
      return;
    }
    const now = this.now();
    const { cache, noLoopCache } = this.deps;
    const port = this.config.endpoint.port;
    const key = datagramKey(`${from.group}:${port}`, d.payload);
    if (!noLoopCache && cache.has(key, now)) {
      from.row.suppressed++;
      return;
    }
    cache.record(key, now);
    const { endpoint } = this.config;
    const hopLimit = endpoint.hopLimit === 'keep' ? d.hopLimit : endpoint.hopLimit;
    let parseCounted = false;
    for (const to of this.members) {
      if (to === from || to.family !== from.family || !to.socket) continue;
      const path = this.path(from, to);
      let payload = d.payload;
      if (endpoint.dns) {
        const verdict = filterMdns(d.payload, to.filters);
        if (verdict.kind === 'unparsed' && !parseCounted) {
          from.row.parseErrors++;
          parseCounted = true;
        }
        if (verdict.kind === 'filtered' || (verdict.kind === 'unparsed' && !verdict.send)) {
          path.filtered++;
          continue;
        }
        if (verdict.kind === 'rewritten') {
          payload = verdict.payload;
          path.rewritten++;
          // The rewritten copy is what may come back: remember it too.
          cache.record(datagramKey(`${from.group}:${port}`, payload), now);
        }
      }
      this.sendCopy(from, to, d, { hopLimit, payload }, path);
    }
  }

  /** Sends one copy on `to`: from the sender's address, or the relay's own and a reply proxy port. */
  private sendCopy(from: Member, to: Member, d: Datagram, copy: { hopLimit: number; payload: Buffer }, path: ReflectorPathRow): void {
    const send = (source: string, sourcePort: number) => {
      try {
        if (!to.socket) throw new Error('closed');
        to.socket.send({ source, sourcePort, ...copy });
        path.reflected++;
      } catch (err) {
        this.sendFailed(from, to, path, err);
      }
    };
    const proxy = this.proxies.get(from.family);
    if (!proxy) return send(d.source, d.sourcePort);
    const source = this.deps.localAddress(to.name, to.family);
    if (source === null) return this.sendFailed(from, to, path, noAddress(to.name, to.family));
    const { endpoint } = this.config;
    if (endpoint.dns && d.sourcePort === endpoint.port) {
      const cleared = clearUnicastResponse(copy.payload);
      if (cleared === null) return send(source, d.sourcePort);
      this.deps.cache.record(datagramKey(`${from.group}:${endpoint.port}`, cleared), this.now());
      copy = { ...copy, payload: cleared };
      return send(source, d.sourcePort);
    }
    const port = proxy.portFor({ interface: from.name, address: d.source, port: d.sourcePort }, to.name, replyWindowMs(endpoint.replyWindow, d.payload));
    if (port === null) return send(source, d.sourcePort); // the proxy is full (counted): answers are lost
    port.then(
      (p) => send(source, p),
      (err) => this.sendFailed(from, to, path, err),
    );
  }

  private sendFailed(from: Member, to: Member, path: ReflectorPathRow, err: unknown): void {
    path.sendErrors++;
    this.deps.log.debug(`reflector ${this.config.id}: ${from.name} -> ${to.name}: ${(err as Error).message}`);
  }
}
