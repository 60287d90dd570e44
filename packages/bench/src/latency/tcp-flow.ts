// An iperf3 TCP flow across a bed's input link (source namespace -> the relay's input address), for
// bench:latency's TCP-noise comparison: unrelated traffic the relay's kernel filter must keep out.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** iperf3's target rate: above the 1 Gbit/s the comparison needs, without taking every cycle of 2 cores. */
export const TCP_TARGET = '2G';
/** The flow starts this long before the multicast trial, so it covers the trial's whole window. */
export const FLOW_LEAD_MS = 1000;
/** The flow lasts the trial plus this, covering priming, the receivers' start and their drain. */
export const FLOW_TAIL_SECONDS = 4;
const PORT = '5299';

/** Why the flow cannot run here, or undefined. */
export function tcpFlowUnavailable(): string | undefined {
  return spawnSync('which', ['iperf3']).status === 0 ? undefined : 'iperf3 is missing (tools/setup.sh installs it)';
}

export interface TcpFlow {
  /** Resolves with the bits per second the server received, once the flow ended. */
  done: Promise<number>;
  /** Kills both ends (idempotent). */
  kill(): void;
}

/**
 * Starts the server in `serverNs` bound to `address`, then the client in `clientNs` for `seconds`;
 * resolves once the client is sending (after FLOW_LEAD_MS).
 */
export async function startTcpFlow(clientNs: string, serverNs: string, address: string, seconds: number): Promise<TcpFlow> {
  const children: ChildProcess[] = [];
  const kill = () => children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill('SIGKILL'));
  const server = spawn('ip', ['netns', 'exec', serverNs, 'iperf3', '-s', '-1', '-B', address, '-p', PORT], { stdio: 'ignore' });
  children.push(server);
  const done = new Promise<number>((resolve, reject) => {
    // The server needs a moment to listen; the client retries a few times if it was too early.
    const attempt = (left: number): void => {
      const client = spawn('ip', ['netns', 'exec', clientNs, 'iperf3', '-c', address, '-p', PORT, '-t', String(seconds), '-b', TCP_TARGET, '-J'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      children.push(client);
      let out = '';
      client.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
      client.once('exit', (code) => {
        if (code !== 0 && left > 0) return void setTimeout(() => attempt(left - 1), 300);
        try {
          const report = JSON.parse(out) as { end: { sum_received: { bits_per_second: number } } };
          resolve(report.end.sum_received.bits_per_second);
        } catch (err) {
          reject(new Error(`iperf3 client failed (exit ${code}): ${out.slice(0, 300)}`, { cause: err }));
        }
      });
    };
    setTimeout(() => attempt(3), 300);
  });
  done.catch(() => {}).finally(kill);
  await new Promise((r) => setTimeout(r, FLOW_LEAD_MS));
  return { done, kill };
}

/** Frames an interface has received (rx_packets), read inside its namespace. */
export async function rxPackets(ns: string, ifname: string): Promise<number> {
  const { stdout } = await run('ip', ['netns', 'exec', ns, 'cat', `/sys/class/net/${ifname}/statistics/rx_packets`]);
  return Number(stdout.trim());
}
