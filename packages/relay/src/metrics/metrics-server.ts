import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { StatsReport } from '../daemon/stats-report.js';
import type { Logger } from '../log.js';
import type { ListenAddress } from './listen-address.js';
import { RelayMetrics } from './relay-metrics.js';

/**
 * Connections held at once. A connection past it takes the place of the oldest one that is not being
 * answered (idle, or still sending its request); only when all of them are being answered is it
 * closed at once (the scraper retries at its next interval).
 */
export const METRICS_MAX_CONNECTIONS = 16;
/**
 * A connection must send its whole request within this, and is closed after this long without a
 * byte either way (before its request, or idle between keep-alive requests).
 */
export const METRICS_REQUEST_TIMEOUT_MS = 3000;
/**
 * How often node checks the request deadlines above (its default, 30 s, would let a connection that
 * sends a header line now and then live half a minute). With it every idle or slow connection is cut
 * within 5 s: measured, one that never sends a byte after 3.0 s, one that sends a header line every
 * 500 ms after 4.0 s (test/e2e/metrics.test.ts).
 */
export const METRICS_DEADLINE_CHECK_MS = 500;

/**
 * `GET /metrics` in the Prometheus text format. Runs in the supervisor only (workers never see a
 * scrape); every value comes from `snapshot()`, the same one `mcr stats` answers. Scrapes that arrive
 * while one snapshot is being taken share it, so any number of scrapers costs one snapshot at a time.
 */
export class MetricsServer {
  private readonly metrics = new RelayMetrics();
  private readonly server: Server;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly address: ListenAddress,
    private readonly snapshot: () => Promise<StatsReport>,
    private readonly log: Logger,
  ) {
    this.server = createServer(
      {
        connectionsCheckingInterval: METRICS_DEADLINE_CHECK_MS,
        requestTimeout: METRICS_REQUEST_TIMEOUT_MS,
        headersTimeout: METRICS_REQUEST_TIMEOUT_MS,
        keepAliveTimeout: METRICS_REQUEST_TIMEOUT_MS,
      },
      (req, res) => void this.handle(req, res),
    );
    // The deadlines above start with the first byte; a connection that sends nothing is cut by this.
    this.server.setTimeout(METRICS_REQUEST_TIMEOUT_MS);
    this.server.on('connection', (socket) => this.admit(socket));
  }

  /** Connections open, oldest first, and whether each is being answered. */
  private readonly connections = new Map<Socket, { answering: boolean }>();

  /**
   * Keeps at most METRICS_MAX_CONNECTIONS: a new connection replaces the oldest one not being
   * answered, so connections that hold a slot without asking anything cannot keep a scrape out.
   */
  private admit(socket: Socket): void {
    if (this.connections.size >= METRICS_MAX_CONNECTIONS) {
      const oldest = [...this.connections].find(([, c]) => !c.answering)?.[0];
      if (!oldest) {
        socket.destroy();
        return;
      }
      oldest.destroy();
      this.connections.delete(oldest);
    }
    this.connections.set(socket, { answering: false });
    socket.once('close', () => this.connections.delete(socket));
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(new Error(`metrics: cannot listen on ${this.describe()}: ${(err as NodeJS.ErrnoException).code ?? err.message}`, { cause: err }));
      this.server.once('error', onError);
      this.server.listen({ host: this.address.host, port: this.address.port }, () => {
        this.server.off('error', onError);
        this.server.on('error', (err) => this.log.error(`metrics: ${err.message}`));
        this.log.info(`metrics at http://${this.describe()}/metrics`);
        resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private describe(): string {
    return this.address.host.includes(':') ? `[${this.address.host}]:${this.address.port}` : `${this.address.host}:${this.address.port}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const connection = this.connections.get(req.socket);
    if (connection) {
      connection.answering = true;
      res.once('close', () => (connection.answering = false));
    }
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    try {
      this.pending ??= this.snapshot()
        .then((report) => this.metrics.render(report))
        .finally(() => (this.pending = undefined));
      const body = await this.pending;
      res.writeHead(200, { 'content-type': this.metrics.contentType }).end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      // The reason is for the log: a scraper learns nothing of the relay's insides from it.
      this.log.warn(`metrics: scrape failed: ${(err as Error).message}`);
      res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error\n');
    }
  }
}
