import { GROUP_PREFIX_LENGTHS, NATIVE_LIMITS } from '@mcr/relay-native';

// Every maximum the relay enforces, stated once. The schema (config files and `mcr add`), the rule
// table and the README quote these names; whatever the data plane would refuse comes from
// NATIVE_LIMITS, through relay-native's field schemas, so the schema refuses it first, with a field
// path, before any worker sees it.

export { GROUP_PREFIX_LENGTHS, NATIVE_LIMITS };

export const RELAY_LIMITS = {
  /** Discovery reflectors in one config: each is a socket per member interface and family. */
  maxReflectors: 64,
  /** Member interfaces of one reflector: a datagram heard on one is sent on every other (n - 1 copies). */
  maxReflectorInterfaces: 32,
  /** DNS-SD service types in one allow or deny list (a reflector's or a member's). */
  maxServiceTypesPerList: 256,
  /**
   * Rules in the whole relay. All rules of one input interface form one native table, so no interface
   * may hold more than NATIVE_LIMITS.maxRulesPerTable; the same figure for the whole relay bounds what
   * a rule change, `mcr list` and `mcr stats` have to walk and answer (a stats line per rule).
   */
  maxRules: NATIVE_LIMITS.maxRulesPerTable,
  /**
   * Distinct input groups per input interface: each is an IGMP membership. The kernel holds
   * net.ipv4.igmp_max_memberships (20) per socket, so 1024 groups already take 52 membership sockets,
   * and every group is one more entry in the interface's multicast filter, which NICs overflow into
   * "all multicast" long before this.
   */
  maxGroupsPerInterface: 1024,
  /**
   * Input interfaces: each one runs `workers` processes (up to DEFAULTS.maxWorkers). 64 interfaces at
   * one worker each is already more processes than the cores of any host this relay is meant for.
   */
  maxInputInterfaces: 64,
  /**
   * Groups one range rule may join (a rule whose input is BASE/LEN and whose `join` is not false):
   * each group is a membership and an entry in the NIC's multicast filter, like an exact rule's. A
   * larger range must say join: false and get its frames by other means (a mirror port, a static
   * route, a querier-less switch flooding them).
   */
  maxJoinedGroupsPerRange: 256,
} as const;


/** control.mode bits that would give users other than the owner and the group access to the relay. */
export const CONTROL_MODE_OTHERS = 0o007;
