// `mcr stats` over the relay's control socket (protocol v1: one JSON request per line, one answer per
// line), the request `mcr stats --json` sends, kept on one connection: sampling the querier state
// several times a second through the CLI would start a Node process each time and load the machine
// whose timing the scenario measures.
import { createConnection, type Socket } from 'node:net';
import type { McrStats } from '../bed/index.js';

export class McrStatsSocket {
  private socket: Socket | undefined;
  private buffered = '';
  private waiting: ((line: string) => void)[] = [];

  constructor(private readonly path: string) {}

  private connect(): Promise<Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    return new Promise((resolve, reject) => {
      const s = createConnection(this.path);
      s.setEncoding('utf8');
      s.on('data', (chunk: string) => {
        this.buffered += chunk;
        for (let i = this.buffered.indexOf('\n'); i >= 0; i = this.buffered.indexOf('\n')) {
          const line = this.buffered.slice(0, i);
          this.buffered = this.buffered.slice(i + 1);
          this.waiting.shift()?.(line);
        }
      });
      s.once('connect', () => {
        this.socket = s;
        resolve(s);
      });
      s.once('error', reject);
      s.on('close', () => {
        this.socket = undefined;
        this.buffered = '';
        for (const w of this.waiting.splice(0)) w('');
      });
    });
  }

  async stats(): Promise<McrStats> {
    const s = await this.connect();
    const line = await new Promise<string>((resolve) => {
      this.waiting.push(resolve);
      s.write('{"v":1,"cmd":"stats"}\n');
    });
    const answer = JSON.parse(line || '{}') as { ok?: boolean; result?: McrStats; error?: { code: string; message: string } };
    if (!answer.ok || !answer.result) throw new Error(`mcr stats over ${this.path}: ${answer.error ? `${answer.error.code} ${answer.error.message}` : 'no answer'}`);
    return answer.result;
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}
