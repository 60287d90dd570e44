// The discovery protocols a reflector knows by name: their groups, port, and the TTL / hop limit a
// reflected copy goes out with. Stated once; the config schema, the daemon and the docs read it here.

export const REFLECTOR_PROTOCOL_NAMES = ['mdns', 'ssdp', 'wsd'] as const;
export type ReflectorProtocolName = (typeof REFLECTOR_PROTOCOL_NAMES)[number];

export interface ReflectorEndpoint {
  /** IPv4 group (canonical text), or absent: the protocol has no IPv4 group. */
  group?: string;
  /** IPv6 group (canonical text), or absent. */
  group6?: string;
  port: number;
  /** A copy's TTL / hop limit: a number, or 'keep' (what came in). */
  hopLimit: number | 'keep';
  /** mdns: the payload is a DNS message that service filters and link-local stripping read. */
  dns: boolean;
  /** `source: "relay"`: how long the reply proxy waits for unicast answers to one query (see replyWindowMs). */
  replyWindow: ReplyWindow;
}

/** A fixed answer window, or SSDP's: the M-SEARCH's MX header in seconds, clamped, plus a margin. */
export type ReplyWindow = { kind: 'fixed'; ms: number } | { kind: 'mx'; defaultSeconds: number; maxSeconds: number; marginMs: number };

export const REFLECTOR_PROTOCOLS: Record<ReflectorProtocolName, ReflectorEndpoint> = {
  // RFC 6762 §11: mDNS is sent with TTL / hop limit 255, and receivers may check it.
  // Answers within 20-120 ms, 500 ms for shared records (RFC 6762 §6); a legacy querier waits a few s.
  mdns: { group: '224.0.0.251', group6: 'ff02::fb', port: 5353, hopLimit: 255, dns: true, replyWindow: { kind: 'fixed', ms: 3000 } },
  // UPnP Device Architecture 2.0 §1.1: the sender's TTL (default 2) is kept.
  // Devices answer within MX seconds, 1..5 (UDA 1.1 §1.3.3: a larger MX counts as 5); 3 when absent.
  ssdp: { group: '239.255.255.250', group6: 'ff02::c', port: 1900, hopLimit: 'keep', dns: false, replyWindow: { kind: 'mx', defaultSeconds: 3, maxSeconds: 5, marginMs: 1000 } },
  // WS-Discovery 1.1 §3.1.1: 239.255.255.250 / ff02::c port 3702, TTL 1 from its senders, kept.
  // A target service answers within APP_MAX_DELAY (500 ms) and repeats a unicast reply once after up
  // to UDP_UPPER_DELAY (500 ms) (WS-Discovery 1.1 §3.1.3, Appendix I): 4 s leaves a wide margin.
  wsd: { group: '239.255.255.250', group6: 'ff02::c', port: 3702, hopLimit: 'keep', dns: false, replyWindow: { kind: 'fixed', ms: 4000 } },
};

/** A custom { group, group6, port } reflector's answer window. */
export const CUSTOM_REPLY_WINDOW: ReplyWindow = { kind: 'fixed', ms: 3000 };

/** After its window an entry lingers this long: a late answer is counted (expired) and dropped, not met by an ICMP error. */
export const REPLY_PROXY_LINGER_MS = 2000;
/** Requesters a reflector's reply proxy holds at once (live or lingering); past it a query is sent without an entry, counted. */
export const REPLY_PROXY_MAX_ENTRIES = 256;

/** How long the reply proxy keeps the entry of one query with `payload` open for answers. */
export function replyWindowMs(window: ReplyWindow, payload: Uint8Array): number {
  if (window.kind === 'fixed') return window.ms;
  // Only the start of an SSDP message is read: its headers are short ASCII lines.
  const head = Buffer.from(payload.buffer, payload.byteOffset, Math.min(payload.byteLength, 2048)).toString('latin1');
  const mx = /\r?\nMX:[ \t]*(\d+)/i.exec(head);
  const seconds = mx ? Math.min(Math.max(Number(mx[1]), 1), window.maxSeconds) : window.defaultSeconds;
  return seconds * 1000 + window.marginMs;
}
