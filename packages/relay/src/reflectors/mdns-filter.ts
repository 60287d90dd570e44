// What an mDNS message may carry to another segment (RFC 6762, DNS-SD RFC 6763), read and rewritten
// with dns-packet (the parser multicast-dns and bonjour-service build on):
// - service filters: a question or record that names a DNS-SD service type (`_ipp._tcp`) the lists
//   refuse goes, in queries and answers both. A record names the type in its name
//   (`Printer._ipp._tcp.local` SRV/TXT, `_ipp._tcp.local` PTR) or, for a PTR, in its data (the
//   instance it points to, or the type a `_services._dns-sd._udp.local` browse lists). Host records
//   (A, AAAA, HINFO...) name no type and pass.
// - link-local addresses: A records in 169.254.0.0/16 and AAAA records in fe80::/10 go (unreachable
//   from another segment).
// A message left with no question and no record is not sent. A message that does not parse is sent
// as it came only where no service filter applies (there is nothing to strip it of that the lists
// could judge); where one applies it is dropped, since nobody can tell what it would leak.
import dnsPacket from 'dns-packet';

export interface ServiceFilter {
  /** Present and non-empty: only these service types pass. */
  allow?: readonly string[];
  /** These service types never pass. */
  deny?: readonly string[];
}

export type MdnsVerdict =
  | { kind: 'pass' } // unchanged: send the bytes as they came
  | { kind: 'rewritten'; payload: Buffer; removed: number }
  | { kind: 'filtered' } // nothing left to send
  | { kind: 'unparsed'; send: boolean; reason: string };

const SERVICE_TYPE = /(?:^|\.)(_[^.]+\._(?:tcp|udp))\.[^_]/i;
const META_BROWSE = '_services._dns-sd._udp';

/** The DNS-SD service type a name carries (`_ipp._tcp`), lower case, or null. */
export function serviceTypeOf(name: string): string | null {
  const lower = name.toLowerCase();
  // `_printer._sub._http._tcp.local`: the subtype's service is the pair before the domain.
  const m = SERVICE_TYPE.exec(lower.replace(/\.$/, '') + '.');
  if (m === null) return null;
  const type = m[1]!;
  return type === META_BROWSE.slice(META_BROWSE.indexOf('._dns-sd') + 1) ? null : type;
}

/** A service type written in a config (`_ipp._tcp`, `_ipp._tcp.local`), as serviceTypeOf reads it. */
export function normalizeServiceType(text: string): string {
  return text.toLowerCase().replace(/\.$/, '').replace(/\.local$/, '');
}

function allowed(type: string, filters: readonly ServiceFilter[]): boolean {
  return filters.every((f) => !(f.deny ?? []).includes(type) && ((f.allow ?? []).length === 0 || f.allow!.includes(type)));
}

function typesNamed(name: string, data: unknown, type: string): string[] {
  const types: string[] = [];
  const own = name.toLowerCase().startsWith(`${META_BROWSE}.`) ? null : serviceTypeOf(name);
  if (own !== null) types.push(own);
  if (type === 'PTR' && typeof data === 'string') {
    const pointed = serviceTypeOf(data);
    if (pointed !== null) types.push(pointed);
  }
  return types;
}

function isLinkLocal(record: { type: string; data?: unknown }): boolean {
  if (typeof record.data !== 'string') return false;
  if (record.type === 'A') return record.data.startsWith('169.254.');
  // fe80::/10: the first 16-bit group is fe80..febf.
  if (record.type === 'AAAA') return /^fe[89ab][0-9a-f]:/i.test(record.data);
  return false;
}

export function hasServiceFilter(filters: readonly ServiceFilter[]): boolean {
  return filters.some((f) => (f.allow ?? []).length > 0 || (f.deny ?? []).length > 0);
}

/** The verdict on `payload` for a segment whose `filters` apply; `stripLinkLocal`: remove 169.254/16 and fe80::/10 records. */
export function filterMdns(payload: Buffer, filters: readonly ServiceFilter[], stripLinkLocal = true): MdnsVerdict {
  let packet: dnsPacket.Packet;
  try {
    packet = dnsPacket.decode(payload);
  } catch (err) {
    return { kind: 'unparsed', send: !hasServiceFilter(filters), reason: (err as Error).message };
  }
  let removed = 0;
  const keepQuestion = (q: dnsPacket.Question) => typesNamed(q.name, undefined, q.type).every((t) => allowed(t, filters));
  const keepRecord = (r: dnsPacket.Answer) => {
    if (stripLinkLocal && isLinkLocal(r as { type: string; data?: unknown })) return false;
    return typesNamed(r.name, (r as { data?: unknown }).data, r.type).every((t) => allowed(t, filters));
  };
  const sift = <T>(list: T[] | undefined, keep: (item: T) => boolean): T[] => {
    const kept = (list ?? []).filter(keep);
    removed += (list ?? []).length - kept.length;
    return kept;
  };
  const questions = sift(packet.questions, keepQuestion);
  const answers = sift(packet.answers, keepRecord);
  const authorities = sift(packet.authorities, keepRecord);
  const additionals = sift(packet.additionals, keepRecord);
  if (removed === 0) return { kind: 'pass' };
  // A query whose questions all went says nothing; its known answers alone would be noise.
  if (questions.length === 0 && answers.length === 0 && authorities.length === 0) return { kind: 'filtered' };
  const rewritten = dnsPacket.encode({ ...packet, questions, answers, authorities, additionals });
  restoreQuestionClasses(rewritten, questions);
  return { kind: 'rewritten', payload: rewritten, removed };
}

/**
 * dns-packet reads a question's class with the unicast-response bit (QU, RFC 6762 §5.4) as
 * "UNKNOWN_32769" and writes it back as 0: the classes are put back here, in the encoded questions.
 */
const nameCodec = (dnsPacket as unknown as { name: { decode: ((buffer: Buffer, offset: number) => string) & { bytes: number } } }).name;

function restoreQuestionClasses(buffer: Buffer, questions: readonly dnsPacket.Question[]): void {
  let offset = 12; // the header
  for (const q of questions) {
    nameCodec.decode(buffer, offset);
    offset += nameCodec.decode.bytes + 2; // the name, then the type
    const unknown = /^UNKNOWN_(\d+)$/.exec(String(q.class));
    if (unknown) buffer.writeUInt16BE(Number(unknown[1]) & 0xffff, offset);
    offset += 2;
  }
}

/**
 * A copy of an mDNS query with the unicast-response bit (QU, RFC 6762 §5.4) of its questions cleared,
 * or null when none is set (or it is a response, or does not parse as far as its questions). A
 * `source: "relay"` copy of a query from port 5353 leaves from the relay's address and port 5353,
 * where nobody takes a unicast answer: with the bit cleared the answers come by multicast, and back
 * through the reflector.
 */
export function clearUnicastResponse(payload: Buffer): Buffer | null {
  if (payload.length < 12 || (payload[2]! & 0x80) !== 0) return null;
  let questions = payload.readUInt16BE(4);
  let at = 12;
  let copy: Buffer | null = null;
  while (questions-- > 0) {
    for (;;) {
      // The name: labels up to the root's zero byte, or a compression pointer that ends it.
      const length = payload[at];
      if (length === undefined) return null;
      if (length === 0 || (length & 0xc0) === 0xc0) {
        at += length === 0 ? 1 : 2;
        break;
      }
      if ((length & 0xc0) !== 0) return null;
      at += 1 + length;
    }
    if (at + 4 > payload.length) return null;
    if ((payload[at + 2]! & 0x80) !== 0) {
      copy ??= Buffer.from(payload);
      copy[at + 2] = copy[at + 2]! & 0x7f;
    }
    at += 4; // type, class (its top bit: QU)
  }
  return copy;
}
