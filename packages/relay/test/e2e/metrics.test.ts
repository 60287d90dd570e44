import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Lab } from '@mcr/netns-lab';
import { METRICS_CUT_WITHIN_MS } from './documented-bounds.js';
import { pushTraffic, RelayProcess, ruleFor, streamPlan, useChainLab } from './harness.js';

const run = promisify(execFile);

/**
 * GET `path` from inside the relay's namespace, as an operator's curl there would (node's fetch: no
 * curl needed on the test machine). Resolves with the body of a 200; rejects otherwise.
 */
async function get(ns: string, address: string, path = '/metrics'): Promise<{ status: number; body: string }> {
  const script = `fetch('http://${address}${path}', { signal: AbortSignal.timeout(5000) }).then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, body: await r.text() })), () => process.exit(1));`;
  const { stdout } = await run('ip', ['netns', 'exec', ns, process.execPath, '-e', script]);
  return JSON.parse(stdout) as { status: number; body: string };
}

async function scrape(ns: string, address: string): Promise<string> {
  const { status, body } = await get(ns, address);
  if (status !== 200) throw new Error(`GET /metrics: HTTP ${status}`);
  return body;
}

/**
 * In the relay's namespace: opens `idle` TCP connections to `address` that never send a byte and one
 * that sends a request's headers one line every 500 ms without ever ending them; once they are open,
 * scrapes until one is answered. Reports when each connection was closed by the relay and how long
 * the scrape took, in ms from when the connections were opened.
 */
async function holdConnections(ns: string, address: string, idle: number): Promise<{ idleClosedMs: number[]; slowClosedMs: number; scrapeMs: number; scrapeStatus: number }> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  const script = `
    const net = require('node:net');
    const t0 = Date.now();
    const closed = (socket) => new Promise((resolve) => { socket.on('error', () => {}); socket.on('close', () => resolve(Date.now() - t0)); });
    const opened = (socket) => new Promise((resolve) => socket.on('connect', resolve));
    const idle = Array.from({ length: ${idle} }, () => net.connect(${port}, '${host}'));
    const slow = net.connect(${port}, '${host}');
    const idleClosed = Promise.all(idle.map(closed));
    const slowClosed = closed(slow);
    let dribble;
    Promise.all([...idle, slow].map(opened)).then(async () => {
      slow.write('GET /metrics HTTP/1.1\\r\\nHost: x\\r\\n');
      dribble = setInterval(() => slow.write('X-Slow: 1\\r\\n'), 500);
      const start = Date.now();
      let status = 0;
      while (Date.now() - start < 12000) {
        status = await fetch('http://${address}/metrics', { signal: AbortSignal.timeout(2000) }).then((r) => r.text().then(() => r.status), () => 0);
        if (status === 200) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const scrapeMs = Date.now() - t0;
      const timeout = new Promise((r) => setTimeout(() => r(-1), 12000));
      const result = { idleClosedMs: await Promise.race([idleClosed, timeout]), slowClosedMs: await Promise.race([slowClosed, timeout]), scrapeMs, scrapeStatus: status };
      clearInterval(dribble);
      process.stdout.write(JSON.stringify(result));
      process.exit(0);
    });`;
  const { stdout } = await run('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { timeout: 40_000 });
  return JSON.parse(stdout);
}

function outputPackets(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const m of text.matchAll(/^mcr_output_packets_total\{rule="([^"]+)",[^}]*\} (\d+)$/gm)) found.set(m[1]!, Number(m[2]));
  return found;
}

describe('Prometheus metrics', () => {
  let lab: Lab;
  useChainLab((l) => (lab = l));

  it('after traffic through two rules, mcr_output_packets_total equals what the receivers got, and agrees with stats', async () => {
    const streams = streamPlan(2);
    const relay = await RelayProcess.start(lab.topo.relay.ns, { metrics: { listen: '127.0.0.1:9464' }, rules: streams.map((s) => ruleFor(s, lab)) });
    try {
      const { received } = await pushTraffic(lab, streams, { rate: 5000, count: 1500 });
      const text = await scrape(lab.topo.relay.ns, '127.0.0.1:9464');
      const stats = await relay.result('stats');
      const out = outputPackets(text);
      for (const [i, s] of streams.entries()) {
        const got = received.streams[i]!;
        expect(got.unique).toBe(1500);
        expect(out.get(s.id)).toBe(got.unique + got.duplicates);
        expect(stats.rules[i].outputs[0].packets).toBe(out.get(s.id));
        expect(text).toContain(`mcr_rule_matched_packets_total{rule="${s.id}"} ${stats.rules[i].matched}`);
      }
      expect(text).toMatch(/^mcr_worker_frames_total\{interface="[^"]+",worker="0"\} \d+$/m);
      expect(text).toMatch(/^mcr_igmp_memberships\{interface="[^"]+",family="ipv4"\} 2$/m);
      expect(text).toMatch(/^process_resident_memory_bytes /m);
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });

  it('off by default; --metrics turns it on; anything but /metrics is 404; concurrent scrapes bounded, the relay unharmed', async () => {
    const streams = streamPlan(1);
    const ns = lab.topo.relay.ns;
    const plain = await RelayProcess.start(ns, { rules: streams.map((s) => ruleFor(s, lab)) });
    try {
      await expect(scrape(ns, '127.0.0.1:9464')).rejects.toThrow();
    } finally {
      await plain.stop();
    }
    const relay = await RelayProcess.start(ns, { rules: streams.map((s) => ruleFor(s, lab)) }, ['--metrics', '127.0.0.1:9465']);
    try {
      const texts = await Promise.all(Array.from({ length: 8 }, () => scrape(ns, '127.0.0.1:9465')));
      for (const t of texts) expect(t).toContain('mcr_rule_matched_packets_total{rule="s0"} 0');
      // Past METRICS_MAX_CONNECTIONS (16) a connection takes the place of one whose request has not
      // arrived yet, or is closed: some of 40 at once fail, every answer that comes is whole, and the
      // relay goes on answering its control socket.
      const flood = await Promise.allSettled(Array.from({ length: 40 }, () => scrape(ns, '127.0.0.1:9465')));
      const answered = flood.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      expect(answered.length).toBeGreaterThan(0);
      for (const t of answered) expect(t).toMatch(/mcr_rule_matched_packets_total\{rule="s0"\} 0\n[\s\S]*process_cpu_seconds_total/);
      expect((await get(ns, '127.0.0.1:9465', '/')).status).toBe(404);
      expect((await relay.result('ping')).pong).toBe(true);
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });

  it(`idle and slow connections are cut within ${METRICS_CUT_WITHIN_MS / 1000} s; 20 idle connections do not lock out a scrape`, async () => {
    const ns = lab.topo.relay.ns;
    const relay = await RelayProcess.start(ns, { metrics: { listen: '127.0.0.1:9466' }, rules: streamPlan(1).map((s) => ruleFor(s, lab)) });
    try {
      const held = await holdConnections(ns, '127.0.0.1:9466', 20);
      const idle = Array.isArray(held.idleClosedMs) ? `${Math.min(...held.idleClosedMs)}-${Math.max(...held.idleClosedMs)} ms` : 'not within 12 s';
      console.info(`20 idle + 1 slow connection: scrape ${held.scrapeStatus} after ${held.scrapeMs} ms; idle closed after ${idle}, slow after ${held.slowClosedMs} ms (-1: not within 12 s)`);
      expect(held.scrapeStatus).toBe(200);
      expect(held.scrapeMs).toBeLessThan(6000);
      expect(Array.isArray(held.idleClosedMs) && held.idleClosedMs.every((ms) => ms >= 0 && ms <= METRICS_CUT_WITHIN_MS)).toBe(true);
      expect(held.slowClosedMs).toBeGreaterThanOrEqual(0);
      expect(held.slowClosedMs).toBeLessThanOrEqual(METRICS_CUT_WITHIN_MS);
      expect((await relay.result('ping')).pong).toBe(true);
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });

  it('a failed scrape answers 500 "internal error" and nothing of the failure', async () => {
    // The relay's own metrics server, in the relay's namespace, with a snapshot that fails the way an
    // internal error would (its message must reach the log, never the scraper).
    const server = fileURLToPath(new URL('../../dist/metrics/metrics-server.js', import.meta.url));
    const script = `
      import(${JSON.stringify(server)}).then(async ({ MetricsServer }) => {
        const logged = [];
        const log = { error: (m) => logged.push(m), warn: (m) => logged.push(m), info: () => {}, debug: () => {} };
        const m = new MetricsServer({ host: '127.0.0.1', port: 9467 }, () => Promise.reject(new Error('EACCES: /etc/secret at Relay.stats (/opt/mcr/dist/daemon/relay.js:42)')), log);
        await m.listen();
        const r = await fetch('http://127.0.0.1:9467/metrics');
        process.stdout.write(JSON.stringify({ status: r.status, body: await r.text(), logged }));
        await m.close();
      });`;
    const { stdout } = await run('ip', ['netns', 'exec', lab.topo.relay.ns, process.execPath, '-e', script], { timeout: 20_000 });
    const { status, body, logged } = JSON.parse(stdout) as { status: number; body: string; logged: string[] };
    expect(status).toBe(500);
    expect(body).toBe('internal error\n');
    expect(logged.join('\n')).toContain('/etc/secret');
  });
});
