import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Lab } from '@mcr/netns-lab';
import { request } from '../../src/control/control-client.js';
import { openClient, RelayProcess, ruleFor, streamPlan, useChainLab } from './harness.js';

// What one control client may cost the relay is bounded: requests in flight, answers queued for a
// client that does not read, the time a request line may take. Every case keeps `mcr ping` answering.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const STATS_LINE = '{"v":1,"cmd":"stats"}\n';
const PIPELINE = Buffer.from(STATS_LINE.repeat(1000));

/** The supervisor's resident set (VmRSS), in KiB. */
function rssKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m);
  return Number(line![1]);
}

/** Sends one byte every `everyMs` (a request that never ends) until the relay closes the connection. */
function dribble(path: string, everyMs: number): { socket: Socket; said: Promise<string>; closedAt: Promise<number>; startedAt: Promise<number>; bytes: () => number } {
  const c = openClient(path);
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  const startedAt = new Promise<number>((resolve) =>
    c.socket.on('connect', () => {
      const send = () => {
        if (c.socket.destroyed || !c.socket.writable) return;
        c.socket.write('{"v":1,"cmd":"ping"'.charAt(sent % 19));
        sent++;
      };
      send();
      resolve(Date.now());
      timer = setInterval(send, everyMs);
    }),
  );
  void c.closedAt.then(() => clearInterval(timer));
  return { ...c, startedAt, bytes: () => sent };
}

/**
 * Pipelines `stats` requests as fast as the relay takes them, never reading an answer, and connects
 * again each time the relay drops it. Returns how many connections the relay dropped.
 */
function floodWithoutReading(path: string, until: number): Promise<number> {
  return new Promise((resolve) => {
    let dropped = 0;
    const once = () => {
      if (Date.now() >= until) return resolve(dropped);
      const socket = connect(path);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        if (Date.now() < until) dropped++;
        setTimeout(once, 10);
      });
      pipelineStats(socket, until);
    };
    once();
  });
}

/** Pipelines `stats` requests and reads the answers; returns how many it got. */
function floodReading(path: string, until: number): Promise<number> {
  return new Promise((resolve) => {
    let answers = 0;
    const socket = connect(path);
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      for (const byte of d) if (byte === 0x0a) answers++;
    });
    socket.on('close', () => resolve(answers));
    pipelineStats(socket, until);
  });
}

/** Writes `stats` requests on `socket` as fast as it takes them (honouring its backpressure) until `until`. */
function pipelineStats(socket: Socket, until: number): void {
  const pump = () => {
    while (Date.now() < until && socket.writable && socket.write(PIPELINE));
  };
  socket.on('drain', pump);
  socket.on('connect', pump);
  setTimeout(() => socket.destroy(), Math.max(0, until - Date.now())).unref();
}

describe('control plane limits', () => {
  let lab: Lab;
  useChainLab((l) => (lab = l));

  const rules = () => streamPlan(2).map((s) => ruleFor(s, lab));

  it('a 20 s flood of pipelined stats requests (3 clients that never read, 1 that does): RSS stays under 200 MiB and ping answers within 1 s', async () => {
    const relay = await RelayProcess.start(lab.topo.relay.ns, { control: { idleTimeout: 2 }, rules: rules() });
    try {
      const pid = (await relay.result('ping')).pid as number;
      const rssBefore = rssKiB(pid);
      const until = Date.now() + 20_000;
      const flooders = Promise.all([floodWithoutReading(relay.control, until), floodWithoutReading(relay.control, until), floodWithoutReading(relay.control, until)]);
      const reader = floodReading(relay.control, until);
      const start = Date.now();
      const quarterPeaks = [0, 0, 0, 0]; // KiB, per 5 s: does the RSS level off?
      let pingWorst = 0;
      let pings = 0;
      const failures: string[] = [];
      while (Date.now() < until) {
        const t0 = Date.now();
        const answer = await request(relay.control, 'ping', {}, 1000).catch((err: Error) => err);
        const ms = Date.now() - t0;
        pings++;
        pingWorst = Math.max(pingWorst, ms);
        if (answer instanceof Error || !answer.ok) failures.push(answer instanceof Error ? answer.message : JSON.stringify(answer));
        const quarter = Math.min(3, Math.floor((Date.now() - start) / 5000));
        quarterPeaks[quarter] = Math.max(quarterPeaks[quarter]!, rssKiB(pid));
        await sleep(200);
      }
      const dropped = (await flooders).reduce((a, b) => a + b, 0);
      const answered = await reader;
      const rssAfter = rssKiB(pid);
      const rssPeak = Math.max(rssBefore, ...quarterPeaks);
      const mib = (kib: number) => (kib / 1024).toFixed(1);
      console.info(
        `control flood 20 s: supervisor RSS ${mib(rssBefore)} MiB before, peak ${mib(rssPeak)} MiB (per 5 s: ${quarterPeaks.map(mib).join(', ')}), ` +
          `${mib(rssAfter)} MiB after; ${pings} pings, worst ${pingWorst} ms; ` +
          `${answered} stats answered to the reading client; ${dropped} non-reading connections dropped`,
      );
      expect(failures).toEqual([]);
      expect(pingWorst).toBeLessThan(1000);
      expect(rssPeak).toBeLessThan(200 * 1024);
      expect(answered).toBeGreaterThan(100);
      expect(dropped).toBeGreaterThan(0); // the clients that never read were dropped, not buffered for
      expect((await relay.result('list')).rules).toHaveLength(2);
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  }, 40_000);

  it('a client dribbling one byte at a time loses its slot when its line is not complete within the timeout', async () => {
    const relay = await RelayProcess.start(lab.topo.relay.ns, { control: { idleTimeout: 1 }, rules: rules() });
    try {
      // One byte every 0.6 s: never idle for the 1 s timeout, yet no line ever completes.
      const slow = dribble(relay.control, 600);
      const heldMs = (await slow.closedAt) - (await slow.startedAt);
      const said = JSON.parse(await slow.said);
      console.info(`dribbler (1 byte / 0.6 s, timeout 1 s): closed after ${heldMs} ms and ${slow.bytes()} bytes`);
      expect(said.error.code).toBe('ETIMEDOUT');
      expect(said.error.message).toMatch(/request line not completed within 1 s of its first byte/);
      expect(heldMs).toBeGreaterThanOrEqual(950);
      expect(heldMs).toBeLessThan(2500);

      // A line sent in pieces that completes in time is answered.
      const pieces = openClient(relay.control);
      pieces.socket.on('connect', async () => {
        for (const piece of ['{"v":1,', '"cmd":', '"ping"}\n']) {
          pieces.socket.write(piece);
          await sleep(200);
        }
        pieces.socket.end();
      });
      expect(JSON.parse(await pieces.said).ok).toBe(true);
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });

  it('with maxClients - 1 slow clients connected (dribbling, silent, pipelining without reading), a new client is served at once', async () => {
    const maxClients = 4;
    const relay = await RelayProcess.start(lab.topo.relay.ns, { control: { maxClients, idleTimeout: 3 }, rules: rules() });
    try {
      const dribbler = dribble(relay.control, 500);
      const silent = openClient(relay.control);
      const pipeliner = connect(relay.control);
      pipeliner.on('error', () => undefined);
      pipeliner.on('connect', () => {
        for (let i = 0; i < 20 && pipeliner.write(PIPELINE); i++);
      });
      await sleep(500);
      const t0 = Date.now();
      const answer = await request(relay.control, 'ping', {}, 1000);
      const ms = Date.now() - t0;
      console.info(`ping with ${maxClients - 1} slow clients connected (maxClients ${maxClients}): answered in ${ms} ms`);
      expect(answer.ok).toBe(true);
      expect(ms).toBeLessThan(1000);

      // The last slot taken, the next client is told EBUSY; the slow ones lose their slots to the deadline.
      await sleep(100); // the ping's connection is closed: request() resolves on the answer, before its close
      const last = openClient(relay.control);
      await sleep(100);
      expect(((await request(relay.control, 'ping', {}, 1000)) as { error?: { code: string } }).error?.code).toBe('EBUSY');
      await Promise.all([dribbler.closedAt, silent.closedAt, last.closedAt]);
      expect((await request(relay.control, 'ping', {}, 1000)).ok).toBe(true);
      pipeliner.destroy();
    } finally {
      expect(await relay.stop()).toBe(0);
    }
  });
});
