// The data plane's limits, stated once. schema.ts builds the field schemas from them, which
// validate.ts checks every argument with before any native call and the relay's schema is built from,
// so that it refuses first whatever the native layer would refuse.
export const NATIVE_LIMITS = {
  /** Outputs per rule: one rule's copies of one frame must fit the egress batch (egress.hpp). */
  maxOutputsPerRule: 64,
  /** Rules in one table (one worker's setRules call). */
  maxRulesPerTable: 4096,
  /**
   * Range rules (RuleSpec.groupPrefixLength shorter than the address) in one table: a frame that no
   * exact rule matches is matched by a linear longest-prefix scan over them.
   */
  maxRangeRulesPerTable: 256,
  /** Frames taken from the ring per batch (WorkerOptions.batchSize). */
  maxBatchSize: 1024,
  /** WorkerOptions.coalesceMicros: the latency one coalescing pause may add. */
  maxCoalesceMicros: 1000,
  /** WorkerOptions.latencyBudgetMicros: the wait adaptive coalescing may add. */
  maxLatencyBudgetMicros: 1000,
  /** RuleSpec.maxPps: the token bucket's rate per rule per worker. */
  maxPps: 10_000_000,
  /**
   * OutputSpec.listeners: groups listened to on one output's segment. 4096 is the snooping table of
   * a Linux bridge by default (multicast_hash_max), so a segment behind one holds no more; the data
   * plane finds a frame's destination among them by binary search (at most 12 steps). With more
   * listened groups on an output the relay can leave `listeners` off: every frame then goes out,
   * more than asked and never less.
   */
  maxListenerGroupsPerOutput: 4096,
  /**
   * ListenerGate.sources: a Linux host filters at most 64 sources per socket and group for MLDv2
   * (net.ipv6.mld_max_msf) and 10 for IGMPv3 (net.ipv4.igmp_max_msf), so one listener's filter
   * fits; a binary search over 64 takes 6 steps. A segment whose listeners together name more can
   * be gated by a superset: 'include' with too many sources as 'exclude' [] (any source), 'exclude'
   * with a subset of its sources.
   */
  maxListenerSourcesPerGate: 64,
  /**
   * Gates and their sources, summed over every output of one table: bounds the memory a table holds
   * for them (under 2 MiB) and the time a setRules spends on them, which the relay calls on every
   * join and leave.
   */
  maxListenerEntriesPerTable: 65_536,
  /** TableContext.ownMacs: this host's interface MACs checked by the loop guard. */
  maxOwnMacs: 1024,
  /**
   * RuleSpec.vlan: a 12-bit VLAN id. 0 is not one: a tag with VLAN id 0 is a priority tag (802.1p),
   * and such a frame matches as untagged, as the kernel's stack takes it.
   */
  minVlanId: 1,
  maxVlanId: 4095,
  /** Interface names (IFNAMSIZ - 1). */
  maxInterfaceNameLength: 15,
  /** WorkerOptions.receiveBufferBytes (SO_RCVBUFFORCE; also sizes the ring). */
  minReceiveBufferBytes: 256 * 1024,
  maxReceiveBufferBytes: 1024 * 1024 * 1024,
  /** WorkerOptions.injectedWorkNanos (test-only fault switch): busy work per frame read. */
  maxInjectedWorkNanos: 100_000,
  /**
   * ListenerSocket.send: the bytes of one IGMP or MLD message. At least its fixed header (type, code,
   * checksum and 4 more: every IGMP and MLD message has them); at most what a 1500-byte Ethernet MTU
   * carries behind the larger of the two headers the socket adds (IPv6 40 + Hop-by-Hop 8 bytes; IPv4 24).
   * A querier splits longer source lists over several queries (RFC 3376 §4.1.8, RFC 3810 §5.1.10).
   */
  minListenerPayloadBytes: 8,
  maxListenerPayloadBytes: 1500 - 48,
  /**
   * DatagramSocket.send: the UDP payload of one reflected datagram. At most what a 1500-byte Ethernet
   * MTU carries behind an IPv6 and a UDP header (40 + 8): the socket does not fragment. mDNS keeps its
   * messages within 9000 bytes (RFC 6762 §17) but sends them in one packet on the link's MTU; a longer
   * datagram would have reached the relay as fragments, which its filter does not pass.
   */
  maxDatagramPayloadBytes: 1500 - 48,
} as const;

/**
 * The prefix lengths a range of groups may have (RuleSpec.groupPrefixLength): IPv4 /8 and longer stay
 * inside one multicast /8; IPv6 /16 and longer keep the flags and scope (the first 16 bits) the same
 * for every group of the range.
 */
export const GROUP_PREFIX_LENGTHS = {
  ipv4: { min: 8, max: 32 },
  ipv6: { min: 16, max: 128 },
} as const;
