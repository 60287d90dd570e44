import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Lab } from '@mcr/netns-lab';
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
      // Past METRICS_MAX_CONNECTIONS (16) a connection is closed unanswered: some of 40 at once fail,
      // every answer that comes is whole, and the relay goes on answering its control socket.
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
});
