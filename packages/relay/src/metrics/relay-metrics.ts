import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { StatsReport } from '../daemon/stats-report.js';
import { SCALAR_COUNTERS, type ScalarCounter } from '../workers/counters.js';

/** Per-worker counters under the names operators know from node_exporter and friends. */
const WORKER_COUNTER_NAMES: Record<ScalarCounter, { name: string; help: string }> = {
  framesSeen: { name: 'mcr_worker_frames_total', help: 'Frames read from the input interface' },
  matched: { name: 'mcr_worker_matched_total', help: 'Frames that matched a rule' },
  noMatch: { name: 'mcr_worker_no_match_total', help: 'Dropped: UDP frames (IPv4 or IPv6) that matched no rule' },
  malformed: { name: 'mcr_worker_malformed_total', help: 'Dropped: truncated or inconsistent headers' },
  fragments: { name: 'mcr_worker_fragments_total', help: 'Dropped: IPv4 fragments and IPv6 Fragment headers' },
  forwarded: { name: 'mcr_worker_forwarded_total', help: 'Copies sent on outputs' },
  txErrors: { name: 'mcr_worker_tx_errors_total', help: 'Dropped: copies the kernel refused to send' },
  kernelPackets: { name: 'mcr_worker_kernel_packets_total', help: 'Frames the kernel delivered to the ring (PACKET_STATISTICS)' },
  kernelDrops: { name: 'mcr_worker_kernel_drops_total', help: 'Dropped by the kernel: the ring was full (PACKET_STATISTICS)' },
  ownFrames: { name: 'mcr_worker_own_frames_total', help: "Dropped: frames from the relay's own interfaces (loop guard)" },
  badChecksum: { name: 'mcr_worker_bad_checksum_total', help: 'Dropped: wrong IPv4 header checksum' },
  ttlExpired: { name: 'mcr_worker_ttl_expired_total', help: 'Dropped: matched frames whose TTL was spent' },
  rateLimited: { name: 'mcr_worker_rate_limited_total', help: "Dropped: frames over a rule's maxPps" },
  outputAbsent: { name: 'mcr_worker_output_absent_total', help: 'Dropped: copies for an output interface that is gone or has no address of the output family' },
  notListened: { name: 'mcr_worker_not_listened_total', help: 'Not sent: copies for a receiver-driven output whose segment has no listener for them' },
  extensionHeaders: { name: 'mcr_worker_extension_headers_total', help: 'Dropped: IPv6 frames with an extension header the relay does not pass (Routing, AH, ESP, unknown)' },
  fastPath: { name: 'mcr_worker_fast_path_total', help: 'Frames of a rule on the tc engine that its program forwards (the packet engine neither sends nor counts them further)' },
};

type Labels<K extends string> = Partial<Record<K, string | number>>;

/**
 * The relay's counters as Prometheus metrics. Nothing here counts: every value is copied from one
 * StatsReport (the snapshot `mcr stats --json` answers), so a scrape and `mcr stats` agree.
 */
export class RelayMetrics {
  readonly registry = new Registry();
  private readonly counters: Array<Counter<string>> = [];
  private readonly gauges: Array<Gauge<string>> = [];

  private readonly ruleMatched = this.counter('mcr_rule_matched_packets_total', 'Packets that matched the rule', ['rule']);
  private readonly ruleBytes = this.counter('mcr_rule_matched_bytes_total', 'Bytes (IP datagrams) that matched the rule', ['rule']);
  private readonly ruleRateLimited = this.counter('mcr_rule_rate_limited_total', "Packets dropped over the rule's maxPps", ['rule']);
  private readonly outPackets = this.counter('mcr_output_packets_total', 'Packets sent on the output', ['rule', 'interface', 'group', 'port']);
  private readonly outBytes = this.counter('mcr_output_bytes_total', 'Bytes sent on the output', ['rule', 'interface', 'group', 'port']);
  private readonly outTxErrors = this.counter('mcr_output_tx_errors_total', 'Copies the kernel refused to send on the output', ['rule', 'interface', 'group', 'port']);
  private readonly outNotListened = this.counter('mcr_output_not_listened_total', 'Packets not sent on the output because no listener on its segment wanted them', ['rule', 'interface', 'group', 'port']);
  private readonly worker = Object.fromEntries(
    SCALAR_COUNTERS.map((k) => [k, this.counter(WORKER_COUNTER_NAMES[k].name, WORKER_COUNTER_NAMES[k].help, ['interface', 'worker'])]),
  ) as Record<ScalarCounter, Counter<string>>;
  private readonly workerRestarts = this.counter('mcr_worker_restarts_total', 'Times the worker slot was restarted', ['interface', 'worker']);
  private readonly workerUp = this.gauge('mcr_worker_up', '1 when the worker process is alive', ['interface', 'worker', 'state']);
  // "igmp" in these names is historical: they count MLD (IPv6) memberships too, told apart by `family`.
  private readonly igmpJoins = this.counter('mcr_igmp_joins_total', 'IGMP/MLD joins, by result', ['result']);
  private readonly igmpLeaves = this.counter('mcr_igmp_leaves_total', 'IGMP/MLD memberships left', []);
  private readonly igmpMemberships = this.gauge('mcr_igmp_memberships', 'Memberships held (joined) on the interface, per family (ipv4: IGMP, ipv6: MLD)', ['interface', 'family']);
  private readonly igmpNotJoined = this.gauge('mcr_igmp_memberships_not_joined', 'Memberships a rule needs that the kernel refused (retried)', ['interface', 'family']);
  private readonly rules = this.gauge('mcr_rules', 'Rules in the table', []);
  private readonly rulesPending = this.gauge('mcr_rules_pending', 'Rules kept but not running: an interface they name is absent (or they do not fit yet)', []);
  private readonly stateFileOk = this.gauge('mcr_state_file_ok', '1 while the --state file was read (at start) or saved (last change) without error', ['path']);
  private readonly interfaceUp = this.gauge('mcr_interface_up', '1 when the interface is up', ['interface']);
  private readonly interfaceEvents = this.counter('mcr_interface_events_total', 'Interface events seen by the watcher', ['event']);
  private readonly listenerGroups = this.gauge('mcr_listener_groups', 'Groups with a listener on the segment (outputs with forward: "listeners")', ['interface', 'family']);
  private readonly querier = this.gauge('mcr_querier', '1 while the relay is the IGMP (ipv4) or MLD (ipv6) querier of the segment', ['interface', 'family']);
  private readonly membershipEvents = this.counter('mcr_membership_events_total', 'Listener groups that appeared (join), were left (leave) or timed out (expire) on the segment', ['interface', 'family', 'kind']);

  private readonly reflected = this.counter('mcr_reflected_total', 'Discovery datagrams a reflector sent from one member interface to another', ['reflector', 'protocol', 'from', 'to', 'family']);
  private readonly reflectFiltered = this.counter('mcr_reflect_filtered_total', "Discovery datagrams not sent to a member: nothing left once its service lists applied", ['reflector', 'protocol', 'from', 'to', 'family']);
  private readonly reflectRewritten = this.counter('mcr_reflect_rewritten_total', 'Discovery datagrams sent to a member with records removed (service lists, link-local addresses)', ['reflector', 'protocol', 'from', 'to', 'family']);
  private readonly reflectSendErrors = this.counter('mcr_reflect_send_errors_total', 'Discovery datagrams the kernel refused to send on a member', ['reflector', 'protocol', 'from', 'to', 'family']);
  private readonly reflectReceived = this.counter('mcr_reflect_received_total', "Discovery datagrams heard on a reflector's member interface", ['reflector', 'protocol', 'interface', 'family']);
  private readonly reflectSuppressed = this.counter('mcr_reflect_suppressed_total', 'Dropped: copies the loop cache recognised (reflected lately)', ['reflector', 'protocol', 'interface', 'family']);
  private readonly reflectOwnFrames = this.counter('mcr_reflect_own_frames_total', "Dropped: frames from the relay's own MACs", ['reflector', 'protocol', 'interface', 'family']);
  private readonly reflectParseErrors = this.counter('mcr_reflect_parse_errors_total', 'mDNS messages that did not parse', ['reflector', 'protocol', 'interface', 'family']);
  private readonly repliesProxied = this.counter('mcr_reflector_replies_proxied_total', 'source "relay": unicast answers the reply proxy sent on to requesters on this interface', ['reflector', 'protocol', 'interface', 'family']);
  private readonly repliesExpired = this.counter('mcr_reflector_replies_expired_total', 'source "relay": answers that arrived on this interface after their entry\'s window, dropped', ['reflector', 'protocol', 'interface', 'family']);
  private readonly proxyFull = this.counter('mcr_reflector_proxy_full_total', 'source "relay": queries heard on this interface that found the reply proxy full', ['reflector', 'protocol', 'interface', 'family']);

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Prometheus text for `report`: every metric is rebuilt from it, so rules removed are gone. */
  async render(report: StatsReport): Promise<string> {
    for (const m of [...this.counters, ...this.gauges]) m.reset();
    for (const r of report.rules) {
      this.set(this.ruleMatched, { rule: r.id }, r.matched);
      this.set(this.ruleBytes, { rule: r.id }, r.bytes);
      this.set(this.ruleRateLimited, { rule: r.id }, r.rateLimited);
      for (const o of r.outputs) {
        // A range output (offset mapping) is labelled with its prefix: BASE/LEN, as the config writes it.
        const labels = { rule: r.id, interface: o.interface, group: o.prefixLength === undefined ? o.group : `${o.group}/${o.prefixLength}`, port: o.port };
        this.set(this.outPackets, labels, o.packets);
        this.set(this.outBytes, labels, o.bytes);
        this.set(this.outTxErrors, labels, o.txErrors);
        this.set(this.outNotListened, labels, o.notListened);
      }
    }
    for (const w of report.workers) {
      const labels = { interface: w.interface, worker: w.index };
      for (const k of SCALAR_COUNTERS) this.set(this.worker[k], labels, w[k]);
      this.set(this.workerRestarts, labels, w.restarts);
      this.workerUp.set({ ...labels, state: w.state }, w.alive ? 1 : 0);
    }
    const g = report.igmp;
    this.set(this.igmpJoins, { result: 'succeeded' }, g.succeeded);
    this.set(this.igmpJoins, { result: 'failed' }, g.failed);
    this.set(this.igmpLeaves, {}, g.left);
    const held = new Map<string, { labels: { interface: string; family: string }; joined: number; not: number }>();
    for (const m of g.memberships) {
      const key = `${m.interface}|${m.family}`;
      const n = held.get(key) ?? { labels: { interface: m.interface, family: m.family }, joined: 0, not: 0 };
      if (m.joined) n.joined++;
      else n.not++;
      held.set(key, n);
    }
    for (const { labels, joined, not } of held.values()) {
      this.igmpMemberships.set(labels, joined);
      this.igmpNotJoined.set(labels, not);
    }
    this.rules.set(report.rules.length);
    this.rulesPending.set(report.pending.length);
    if (report.stateFile) this.stateFileOk.set({ path: report.stateFile.path }, report.stateFile.ok ? 1 : 0);
    for (const s of report.interfaces) this.interfaceUp.set({ interface: s.name }, s.up ? 1 : 0);
    for (const [event, n] of Object.entries(report.interfaceEvents)) this.set(this.interfaceEvents, { event }, n);
    for (const q of report.queriers) {
      const labels = { interface: q.interface, family: q.family };
      this.listenerGroups.set(labels, new Set(report.listeners.filter((l) => l.interface === q.interface && l.family === q.family).map((l) => l.group)).size);
      this.querier.set(labels, q.state === 'querier' ? 1 : 0);
    }
    for (const e of report.membershipEvents) {
      for (const kind of ['join', 'leave', 'expire'] as const) this.set(this.membershipEvents, { interface: e.interface, family: e.family, kind }, e[kind]);
    }
    for (const r of report.reflectors) {
      for (const p of r.paths) {
        const labels = { reflector: r.id, protocol: r.protocol, from: p.from, to: p.to, family: p.family };
        this.set(this.reflected, labels, p.reflected);
        this.set(this.reflectFiltered, labels, p.filtered);
        this.set(this.reflectRewritten, labels, p.rewritten);
        this.set(this.reflectSendErrors, labels, p.sendErrors);
      }
      for (const m of r.members) {
        const labels = { reflector: r.id, protocol: r.protocol, interface: m.interface, family: m.family };
        this.set(this.reflectReceived, labels, m.received);
        this.set(this.reflectSuppressed, labels, m.suppressed);
        this.set(this.reflectOwnFrames, labels, m.ownFrames);
        this.set(this.reflectParseErrors, labels, m.parseErrors);
        if (r.source === 'relay') {
          this.set(this.repliesProxied, labels, m.proxied);
          this.set(this.repliesExpired, labels, m.proxyExpired);
          this.set(this.proxyFull, labels, m.proxyFull);
        }
      }
    }
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private counter<K extends string>(name: string, help: string, labelNames: K[]): Counter<K> {
    const c = new Counter<K>({ name, help, labelNames, registers: [this.registry] });
    this.counters.push(c as unknown as Counter<string>);
    return c;
  }

  private gauge<K extends string>(name: string, help: string, labelNames: K[]): Gauge<K> {
    const g = new Gauge<K>({ name, help, labelNames, registers: [this.registry] });
    this.gauges.push(g as unknown as Gauge<string>);
    return g;
  }

  /** A counter's value is the snapshot's, never an increment of ours. */
  private set<K extends string>(c: Counter<K>, labels: Labels<K>, value: number): void {
    c.inc(labels as never, value);
  }
}
