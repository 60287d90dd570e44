// discovery: mcr as a discovery reflector between two segments, proved with clients nobody here wrote.
//   1. `chain` (segment A: the source namespace; segment B: the sink namespace; mcr between them, with
//      reflectors for mDNS, SSDP and WS-Discovery on in0 and out0): python-zeroconf (Debian's python3-zeroconf)
//      publishes an `_ipp._tcp` printer and a `_googlecast._tcp` cast on A and resolves both from B;
//      gssdp-discover (gupnp-tools) on A finds an SSDP device on B, whose unicast answer reaches it by
//      ordinary routing through the relay namespace (the reflected M-SEARCH keeps its sender's address).
//      The SSDP device is a small Python responder (scripts/discovery/ssdp-device.py): Debian ships no
//      headless SSDP publisher. wsdd in discovery mode on A finds a wsdd host on B.
//   2. `source: "relay"`: the same clients with the relay namespace forwarding nothing, so a unicast
//      answer reaches its requester only through the reply proxy. IPv6 adds wsdd here: a WS-Discovery
//      host answers a Probe at its source, with the original source a link-local address on the other
//      segment (not found, the negative control), with source relay the relay's own. Its control: the
//      same clients, forwarding off, source original: the SSDP and WS-Discovery answers are lost.
//      gssdp-discover opens no IPv6 client: its IPv6 rows say "not supported by the tool".
//   3. Snooping switch (`switch`: segment A is a bridge with multicast_snooping=1 that floods no
//      unjoined group to the relay's port): the relay joins each member's group (IGMP / MLD), so the
//      bridge forwards it there: IPv4 gssdp-discover (239.255.255.250, snooped), IPv6 python-zeroconf
//      (ff02::fb, snooped: among ff02::/16 only ff02::1 is flooded; the resolver behind the bridge, so
//      its query has to pass it) still find across. Its negative
//      control: testOnly.noReflectorJoins, run first so no membership of the other run lingers in the
//      bridge: not found. (224.0.0.251, mDNS over IPv4, is link-local: RFC 4541 has a switch flood it,
//      so it proves no join.)
//   4. Negative controls: mcr without reflectors: nothing is found; with `deny: ["_googlecast._tcp"]`
//      the printer is found and the cast is not.
//   5. Loops: one mDNS query into `segment` (one reflector, in0 and out0 on one bridge: at most 1 copy)
//      and into `ring` (two relays, each reflecting between the same two bridges: at most 2 copies, one
//      per reflector). `--inject-bug no-loop-cache` (testOnly.noLoopCache) must make this fail.
// Figures: found, latency to the first answer (client start to resolved service / first SSDP answer),
// copies per query.
import { fileURLToPath } from 'node:url';
import { awaitSnooping, chain, inNetns, ring, segment, spawnInNetns, stopChild, switchTopo, uniquePrefix, type Child, type Lab } from '@mcr/netns-lab';
import { McrControl } from '../bed/index.js';
import { McrRelay, type McrStartOptions, type McrTestOnly } from '../relays/index.js';
import { sleep, withLab } from './common.js';
import type { ScenarioOptions } from './options.js';
import { makeReport, type Row, type ScenarioReport, type Violation } from './report.js';

/** Debian's interpreter: python3-zeroconf is installed for it, whatever python3 comes first on PATH. */
const PYTHON = '/usr/bin/python3';
const SCRIPTS = fileURLToPath(new URL('../../scripts/discovery/', import.meta.url));
const SERVICES = { printer: { name: 'Office Printer', type: '_ipp._tcp', port: 631 }, cast: { name: 'Living Room TV', type: '_googlecast._tcp', port: 8009 } };
const SSDP_TYPE = 'urn:mcr-lab:device:Probe:1';
/** How long a client looks before it counts as "not found". */
const LOOK_SECONDS = 6;
/** wsdd looks longer: its first Probe waits a random 0..3 s (wsdd's MAX_STARTUP_PROBE_DELAY), then Probe, ProbeMatch, Resolve and ResolveMatch each may wait up to 0.5 s. */
const WSDD_LOOK_SECONDS = 10;
/** How long python-zeroconf keeps announcing a newly registered service. */
const ANNOUNCEMENTS_MS = 2500;
/** A loop probe's copies are counted for this long (a storm shows within milliseconds). */
const LOOP_COUNT_MS = 1500;
/** Reflected copies of one query allowed: one per reflector (each sends a datagram once per loop-cache window). */
const LOOP_BOUND = { segment: 1, ring: 2 } as const;

const PLACEHOLDER_STREAM = {
  ipv4: { group: '239.77.5.1', port: 7005, outGroup: '239.77.5.1', outPort: 7005 },
  ipv6: { group: 'ff3e::77:5:1', port: 7005, outGroup: 'ff3e::77:5:1', outPort: 7005 },
} as const;

type Reflectors = NonNullable<McrStartOptions['reflectors']>;
type ReflectorSource = 'original' | 'relay';
type McrStatsWithReflectors = {
  reflectors?: Array<{ paths: Array<{ reflected: number; filtered: number; rewritten: number }>; members: Array<{ suppressed: number; ownFrames: number; proxied?: number; proxyExpired?: number }> }>;
};

/** One mcr per relay namespace, each reflecting among its in0 and out0 with `reflectors(i)`. */
async function withReflectors<T>(
  lab: Lab,
  o: ScenarioOptions,
  reflectors: (members: string[]) => Reflectors,
  fn: (controls: McrControl[]) => Promise<T>,
  testOnly: McrTestOnly = {},
): Promise<T> {
  const relays: McrRelay[] = [];
  try {
    const controls: McrControl[] = [];
    for (let i = 0; i < lab.topo.relays.length; i++) {
      const role = lab.topo.relays[i]!;
      const relay = new McrRelay();
      relays.push(relay);
      // No rules: the one stream only names the family (the adapter wants one); configStreams 0 leaves it out.
      await relay.start(lab, [PLACEHOLDER_STREAM[o.family]], {
        relay: i,
        configStreams: 0,
        family: o.family,
        reflectors: reflectors([role.inputs[0]!.ifname, role.outputs[0]!.ifname]),
        testOnly: { ...testOnly, ...(o.injectBug === 'no-loop-cache' ? { noLoopCache: true } : {}) },
      });
      controls.push(new McrControl(relay, role.ns));
    }
    return await fn(controls);
  } finally {
    for (const relay of relays.reverse()) await relay.stop();
  }
}

/** Unicast between the two segments of `chain` through the relay namespace (for SSDP's unicast answers). */
async function routeBetweenSegments(lab: Lab): Promise<void> {
  const [src, sink, relay] = [lab.topo.sources[0]!, lab.topo.sinks[0]!, lab.topo.relays[0]!];
  const [rin, rout] = [relay.inputs[0]!, relay.outputs[0]!];
  await forwarding(lab, true);
  await inNetns(src.ns, 'ip', ['route', 'replace', sink.address.replace(/\.\d+\/\d+$/, '.0/24'), 'via', rin.ip]);
  await inNetns(sink.ns, 'ip', ['route', 'replace', src.address.replace(/\.\d+\/\d+$/, '.0/24'), 'via', rout.ip]);
  await inNetns(src.ns, 'ip', ['-6', 'route', 'replace', sink.address6.replace(/::\d+\/64$/, '::/64'), 'via', rin.ip6]);
  await inNetns(sink.ns, 'ip', ['-6', 'route', 'replace', src.address6.replace(/::\d+\/64$/, '::/64'), 'via', rout.ip6]);
}

/** The relay namespace routes between the segments, or not (then only the reply proxy carries unicast answers). */
async function forwarding(lab: Lab, on: boolean): Promise<void> {
  const v = on ? '1' : '0';
  await inNetns(lab.topo.relays[0]!.ns, 'sysctl', ['-qw', `net.ipv4.ip_forward=${v}`, `net.ipv6.conf.all.forwarding=${v}`]);
}

async function waitForOutput(child: Child, pattern: RegExp, timeoutMs: number): Promise<number | null> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (pattern.test(child.output())) return Date.now() - started;
    if (child.exited()) return null;
    await sleep(20);
  }
  return null;
}

interface Found {
  found: boolean;
  ms: number | null;
  detail: string;
}

/** python-zeroconf: publishes both services on segment A, resolves them from segment B (`reverse`: the other way round). */
async function mdnsAcross(lab: Lab, o: ScenarioOptions, reverse = false): Promise<Record<keyof typeof SERVICES, Found>> {
  const [src, sink] = reverse ? [lab.topo.sinks[0]!, lab.topo.sources[0]!] : [lab.topo.sources[0]!, lab.topo.sinks[0]!];
  const address = o.family === 'ipv6' ? src.ip6 : src.ip;
  const specs = Object.values(SERVICES).map((s) => `${s.name}:${s.type}:${s.port}`);
  const publisher = spawnInNetns(src.ns, PYTHON, [`${SCRIPTS}mdns-publish.py`, o.family, address, 'lab-host', ...specs]);
  try {
    if ((await waitForOutput(publisher, /published/, 15_000)) === null) throw new Error(`mdns-publish.py did not publish:\n${publisher.output()}`);
    // Its announcements over (three within about a second), only a query can bring the answer: the
    // latency measured is the round trip through the reflector, not a cached announcement.
    await sleep(ANNOUNCEMENTS_MS);
    const { stdout } = await inNetns(sink.ns, PYTHON, [`${SCRIPTS}mdns-resolve.py`, o.family, String(LOOK_SECONDS), ...Object.values(SERVICES).map((s) => s.type)], { timeout: (LOOK_SECONDS + 10) * 1000 });
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, { found: boolean; ms?: number; addresses?: string[]; port?: number }>;
    const one = (type: string): Found => {
      const r = result[type]!;
      return { found: r.found, ms: r.ms ?? null, detail: r.found ? `${(r.addresses ?? []).join(' ')} port ${r.port}` : `not found in ${LOOK_SECONDS} s` };
    };
    return { printer: one(SERVICES.printer.type), cast: one(SERVICES.cast.type) };
  } finally {
    await stopChild(publisher);
  }
}

/**
 * gssdp-discover on segment A searching for the device on segment B. IPv4 only: gssdp-discover of
 * Debian 12 (gupnp-tools 0.12, GSSDP 1.6) opens IPv4 clients only ("Failed to find IP of interface"
 * for an interface with IPv6 addresses alone, or an IPv6 address as its interface).
 */
async function ssdpAcross(lab: Lab): Promise<Found> {
  const src = lab.topo.sources[0]!;
  const sink = lab.topo.sinks[0]!;
  const device = spawnInNetns(sink.ns, PYTHON, [`${SCRIPTS}ssdp-device.py`, 'ipv4', sink.ifname, sink.ip, SSDP_TYPE]);
  try {
    if ((await waitForOutput(device, /listening/, 10_000)) === null) throw new Error(`ssdp-device.py did not start:\n${device.output()}`);
    // stdbuf: its lines as they come.
    const discover = spawnInNetns(src.ns, 'stdbuf', ['-oL', 'gssdp-discover', '-i', src.ifname, '-t', SSDP_TYPE, '-n', String(LOOK_SECONDS)]);
    try {
      const ms = await waitForOutput(discover, /resource available/i, (LOOK_SECONDS + 2) * 1000);
      const location = /Location:\s*(\S+)/i.exec(discover.output())?.[1];
      return { found: ms !== null, ms, detail: ms !== null ? `${location ?? 'found'}` : `not found in ${LOOK_SECONDS} s; device: ${device.output().trim().split('\n').slice(-1)[0]}` };
    } finally {
      await stopChild(discover);
    }
  } finally {
    await stopChild(device);
  }
}

/**
 * wsdd (Debian's wsdd) on segment A in discovery mode finding a wsdd host on segment B. A WS-Discovery
 * host answers a Probe by unicast to the Probe's source: over IPv6 wsdd sends from its link-local
 * address, which the host on the other segment reaches only when the copy left from the relay's own
 * (`source: "relay"`). `until` "discovered": wsdd reports the host discovered, its metadata fetched over
 * HTTP from the host's XAddrs (IPv4, routed between the segments). "resolve match": wsdd received the
 * host's XAddrs in answer to its own Probe, unicast both: in its ProbeMatch, or (wsdd's host sends
 * none there) in the ResolveMatch to the Resolve that follows (debug log "probe|resolve match for ...
 * on <XAddrs>"), the WS-Discovery exchange itself: over IPv6 the metadata fetch goes to the host's link-local XAddrs, which no client
 * on another segment reaches (wsdd uses link-local addresses only), and without routing to none.
 */
async function wsdAcross(lab: Lab, o: ScenarioOptions, until: 'discovered' | 'resolve match' = o.family === 'ipv4' ? 'discovered' : 'resolve match'): Promise<Found> {
  const src = lab.topo.sources[0]!;
  const sink = lab.topo.sinks[0]!;
  const v = o.family === 'ipv4' ? '-4' : '-6';
  const host = spawnInNetns(sink.ns, 'wsdd', ['-i', sink.ifname, v, '-n', 'LABHOST', '-s']);
  try {
    await sleep(500);
    const discover = spawnInNetns(src.ns, 'wsdd', ['-i', src.ifname, v, '-D', '-o', '-s', '-v', '-v', '-n', 'LABCLIENT']);
    try {
      const pattern = until === 'discovered' ? /discovered LABHOST[^\n]*/i : /(?:probe|resolve) match for \S+ on [^\n]*/i;
      const ms = await waitForOutput(discover, pattern, WSDD_LOOK_SECONDS * 1000);
      return { found: ms !== null, ms, detail: ms !== null ? (pattern.exec(discover.output())?.[0] ?? 'found') : `not found in ${WSDD_LOOK_SECONDS} s` };
    } finally {
      await stopChild(discover);
    }
  } finally {
    await stopChild(host);
  }
}

const discoveryReflectors = (extra: { deny?: string[]; source?: ReflectorSource } = {}) => (members: string[]): Reflectors => {
  const source = extra.source === 'relay' ? { source: 'relay' as const } : {};
  return [
    { id: 'home-mdns', protocol: 'mdns', interfaces: members, ...source, ...(extra.deny ? { deny: extra.deny } : {}) },
    { id: 'home-ssdp', protocol: 'ssdp', interfaces: members, ...source },
    { id: 'home-wsd', protocol: 'wsd', interfaces: members, ...source },
  ];
};

type Totals = { reflected: number; filtered: number; rewritten: number; suppressed: number; ownFrames: number; proxied: number; proxyExpired: number };

async function reflectorTotals(controls: McrControl[]): Promise<Totals> {
  const all = (await Promise.all(controls.map((c) => c.stats()))) as unknown as McrStatsWithReflectors[];
  const t: Totals = { reflected: 0, filtered: 0, rewritten: 0, suppressed: 0, ownFrames: 0, proxied: 0, proxyExpired: 0 };
  for (const s of all) {
    for (const r of s.reflectors ?? []) {
      for (const p of r.paths) Object.assign(t, { reflected: t.reflected + p.reflected, filtered: t.filtered + p.filtered, rewritten: t.rewritten + p.rewritten });
      for (const m of r.members) {
        Object.assign(t, { suppressed: t.suppressed + m.suppressed, ownFrames: t.ownFrames + m.ownFrames, proxied: t.proxied + (m.proxied ?? 0), proxyExpired: t.proxyExpired + (m.proxyExpired ?? 0) });
      }
    }
  }
  return t;
}

/** Proxied answers per reflector, as a row's detail says them. */
async function proxiedBy(controls: McrControl[]): Promise<string> {
  const all = (await Promise.all(controls.map((c) => c.stats()))) as unknown as Array<McrStatsWithReflectors & { reflectors?: Array<{ id?: string }> }>;
  const parts: string[] = [];
  for (const s of all) for (const r of s.reflectors ?? []) parts.push(`${(r as { id?: string }).id}: ${r.members.reduce((n, m) => n + (m.proxied ?? 0), 0)}`);
  return `answers proxied (${parts.join(', ')})`;
}

/** One mDNS query into a loop topology: the copies the relays send, and those the segments carry. */
async function loopProbe(kind: 'segment' | 'ring', o: ScenarioOptions): Promise<{ row: Row; violations: Violation[] }> {
  const topo = kind === 'segment' ? segment({ prefix: uniquePrefix() }) : ring({ prefix: uniquePrefix() });
  return withLab(topo, (lab) =>
    withReflectors(lab, o, (members) => [{ id: 'loop', protocol: 'mdns', interfaces: members, families: [o.family] }], async (controls) => {
      const src = lab.topo.sources[0]!;
      const sink = lab.topo.sinks[0]!;
      const marker = `mcrprobe${process.pid}${Date.now() % 100000}`;
      const seconds = String(LOOP_COUNT_MS / 1000);
      const listen = (e: typeof src) => spawnInNetns(e.ns, PYTHON, [`${SCRIPTS}mdns-probe.py`, 'listen', o.family, e.ifname, marker, seconds]);
      const atSink = listen(sink);
      const atSource = listen(src);
      try {
        for (const c of [atSink, atSource]) if ((await waitForOutput(c, /ready/, 10_000)) === null) throw new Error(`mdns-probe.py listen did not start:\n${c.output()}`);
        const before = await reflectorTotals(controls);
        await inNetns(src.ns, PYTHON, [`${SCRIPTS}mdns-probe.py`, 'send', o.family, src.ifname, marker]);
        await sleep(LOOP_COUNT_MS + 300);
        const after = await reflectorTotals(controls);
        const count = (c: Child) => Number(/(\d+)\s*$/.exec(c.output().trim())?.[1] ?? NaN);
        // On `segment` the sink shares the source's bridge and hears the original too.
        const sinkCopies = count(atSink) - (kind === 'segment' ? 1 : 0);
        const sourceCopies = count(atSource);
        const reflected = after.reflected - before.reflected;
        const bound = LOOP_BOUND[kind];
        const violations: Violation[] = [];
        const what = `${kind} (${kind === 'segment' ? 'one reflector, two members on one bridge' : 'two reflectors between the same two segments'}), one mDNS query`;
        if (reflected > bound) violations.push({ metric: 'reflected', value: reflected, threshold: bound, message: `${what}: reflected ${reflected} times within ${LOOP_COUNT_MS} ms, at most ${bound} allowed: the reflectors loop` });
        if (reflected < 1) violations.push({ metric: 'reflected', value: reflected, threshold: 1, message: `${what}: not reflected at all` });
        // On `segment` both listeners are on the one bridge and hear the same copies.
        const carried = kind === 'segment' ? sinkCopies : sinkCopies + sourceCopies;
        if (carried > bound && reflected <= bound) {
          violations.push({ metric: 'copies', value: carried, threshold: bound, message: `${what}: the segments carried ${carried} copies though the relays count ${reflected}` });
        }
        o.onProgress(`discovery: ${what}: reflected ${reflected}, copies at the sink ${sinkCopies}, back at the source ${sourceCopies}`);
        const row: Row = {
          check: `loop: ${kind}`,
          client: 'mdns-probe.py (one query)',
          expected: `<= ${bound} copies`,
          found: null,
          latencyMs: null,
          copies: reflected,
          detail: `sink segment ${sinkCopies}, source segment ${sourceCopies}; suppressed ${after.suppressed - before.suppressed}, own frames ${after.ownFrames - before.ownFrames}`,
        };
        return { row, violations };
      } finally {
        await stopChild(atSink);
        await stopChild(atSource);
      }
    }),
  );
}

export async function discovery(o: ScenarioOptions): Promise<ScenarioReport> {
  const rows: Row[] = [];
  const violations: Violation[] = [];
  const expect = (check: string, client: string, f: Found, want: boolean, note = '') => {
    rows.push({ check, client, expected: want ? 'found' : 'not found', found: f.found, latencyMs: f.ms, copies: null, detail: `${f.detail}${note}` });
    if (f.found !== want) violations.push({ metric: 'found', value: f.found ? 1 : 0, threshold: want ? 1 : 0, message: `${check}: ${client} ${want ? 'did not find' : 'found'} it (${f.detail})` });
    o.onProgress(`discovery: ${check}: ${client}: ${f.found ? `found in ${f.ms} ms` : 'not found'}`);
  };
  /** A client that cannot run for this family says so in its row (never a silent skip). */
  const unsupported = (check: string, client: string, why: string) => {
    rows.push({ check, client, expected: 'not supported by the tool', found: null, latencyMs: null, copies: null, detail: why });
    o.onProgress(`discovery: ${check}: ${client}: not supported by the tool`);
  };
  const GSSDP_IPV6 = 'not supported by the tool: gssdp-discover (gupnp-tools 0.12, GSSDP 1.6) opens IPv4 clients only; -i takes an interface or address, and with an IPv6 one it finds no IP of the interface';
  const ssdpOrUnsupported = async (lab: Lab, check: string, want: boolean, note: () => Promise<string> = async () => '') => {
    if (o.family === 'ipv6') return unsupported(check, 'gssdp-discover', GSSDP_IPV6);
    const f = await ssdpAcross(lab);
    expect(check, 'gssdp-discover', f, want, await note());
  };
  const chainLab = () => chain({ prefix: uniquePrefix() });

  if (o.injectBug === undefined) {
    await withLab(chainLab(), async (lab) => {
      await routeBetweenSegments(lab);
      await withReflectors(lab, o, discoveryReflectors(), async (controls) => {
        const mdns = await mdnsAcross(lab, o);
        const t = await reflectorTotals(controls);
        expect('reflected', `python-zeroconf ${SERVICES.printer.type}`, mdns.printer, true, `; the relay reflected ${t.reflected} datagrams in this phase`);
        expect('reflected', `python-zeroconf ${SERVICES.cast.type}`, mdns.cast, true);
        await ssdpOrUnsupported(lab, 'reflected', true);
        // IPv6: the host answers the Probe's link-local source, on its own segment: lost (the control for source relay).
        const wsdNote = o.family === 'ipv6' ? '; the host answers the Probe at its link-local source, unreachable from its segment' : '';
        expect('reflected', o.family === 'ipv4' ? 'wsdd' : 'wsdd (ResolveMatch)', await wsdAcross(lab, o), o.family === 'ipv4', wsdNote);
      });
      await withReflectors(lab, o, () => [], async () => {
        const mdns = await mdnsAcross(lab, o);
        expect('no reflector', `python-zeroconf ${SERVICES.printer.type}`, mdns.printer, false);
        await ssdpOrUnsupported(lab, 'no reflector', false);
        expect('no reflector', o.family === 'ipv4' ? 'wsdd' : 'wsdd (ResolveMatch)', await wsdAcross(lab, o), false);
      });
      await withReflectors(lab, o, discoveryReflectors({ deny: [SERVICES.cast.type] }), async (controls) => {
        const mdns = await mdnsAcross(lab, o);
        const t = await reflectorTotals(controls);
        expect(`deny ${SERVICES.cast.type}`, `python-zeroconf ${SERVICES.printer.type}`, mdns.printer, true);
        expect(`deny ${SERVICES.cast.type}`, `python-zeroconf ${SERVICES.cast.type}`, mdns.cast, false, `; ${t.filtered} filtered, ${t.rewritten} rewritten`);
      });
      // From here the relay namespace routes nothing: an answer comes back through the reply proxy or not at all.
      await forwarding(lab, false);
      await withReflectors(lab, o, discoveryReflectors({ source: 'relay' }), async (controls) => {
        const check = 'source relay, no routing';
        const mdns = await mdnsAcross(lab, o);
        expect(check, `python-zeroconf ${SERVICES.printer.type}`, mdns.printer, true);
        expect(check, `python-zeroconf ${SERVICES.cast.type}`, mdns.cast, true);
        await ssdpOrUnsupported(lab, check, true, async () => `; ${await proxiedBy(controls)}`);
        expect(check, 'wsdd (ResolveMatch)', await wsdAcross(lab, o, 'resolve match'), true, `; ${await proxiedBy(controls)}`);
        const t = await reflectorTotals(controls);
        if (t.proxied === 0) violations.push({ metric: 'proxied', value: 0, threshold: 1, message: `${check}: the reply proxy carried no answer, yet clients were expected to find across without routing` });
      });
      await withReflectors(lab, o, discoveryReflectors(), async () => {
        const check = 'source original, no routing';
        await ssdpOrUnsupported(lab, check, false);
        expect(check, 'wsdd (ResolveMatch)', await wsdAcross(lab, o, 'resolve match'), false);
      });
    });
  }
  if (o.injectBug === undefined) {
    await withLab(switchTopo({ prefix: uniquePrefix() }), async (lab) => {
      await routeBetweenSegments(lab);
      const waited = await awaitSnooping(lab, { family: o.family });
      o.onProgress(`discovery: the snooping bridge forwards to the relay after ${waited} ms`);
      const across = async (check: string, want: boolean) => {
        if (o.family === 'ipv4') return ssdpOrUnsupported(lab, check, want);
        // The resolver behind the bridge: its query must pass the bridge to the relay (the answer could
        // come back by unicast, routed, and prove nothing about the bridge).
        const mdns = await mdnsAcross(lab, o, true);
        expect(check, `python-zeroconf ${SERVICES.printer.type}`, mdns.printer, want);
      };
      await withReflectors(lab, o, discoveryReflectors(), () => across('snooping switch, no joins', false), { noReflectorJoins: true });
      await withReflectors(lab, o, discoveryReflectors(), () => across('snooping switch', true));
    });
  }
  for (const kind of ['segment', 'ring'] as const) {
    const r = await loopProbe(kind, o);
    rows.push(r.row);
    violations.push(...r.violations);
  }

  const cache = o.injectBug === 'no-loop-cache' ? 'loop cache OFF (inject-bug no-loop-cache): the loop checks only' : 'default loop cache';
  return makeReport(o, {
    violations,
    columns: ['check', 'client', 'expected', 'found', 'latencyMs', 'copies', 'detail'],
    rows,
    summary: [
      `mcr reflecting mDNS, SSDP and WS-Discovery, ${o.family}, ${cache}; segments A (source namespace) and B (sink namespace) of the chain topology`,
      `latencyMs = from the client's start to the resolved service (python-zeroconf), the first SSDP answer (gssdp-discover) or the discovered host (wsdd; where its metadata fetch cannot cross, over IPv6 or without routing, the ResolveMatch carrying the host's XAddrs); a client looks ${LOOK_SECONDS} s (wsdd ${WSDD_LOOK_SECONDS} s: its first Probe waits up to 3 s). gssdp-discover opens no IPv6 client (not supported by the tool)`,
      `source relay, no routing = reflectors with source "relay" while the relay namespace forwards nothing: unicast answers reach a requester only through the reply proxy; source original, no routing = its control (SSDP and WS-Discovery answers lost)`,
      `snooping switch = segment A behind a bridge with multicast_snooping=1 that floods no unjoined group to the relay: the relay's joins (IGMP / MLD) bring the group; no joins = testOnly.noReflectorJoins, its negative control (IPv4: SSDP 239.255.255.250; IPv6: mDNS ff02::fb)`,
      `copies (loop rows) = datagrams the relays reflected of one query within ${LOOP_COUNT_MS} ms; bound: one per reflector`,
    ],
    details: {},
  });
}
