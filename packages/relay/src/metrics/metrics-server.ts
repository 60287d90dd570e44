import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { StatsReport } from '../daemon/stats-report.js';
import type { Logger } from '../log.js';
import type { ListenAddress } from './listen-address.js';
import { RelayMetrics } from './relay-metrics.js';

/** Scrape connections served at once; a connection past it is closed at once (the scraper retries next interval). */
export const METRICS_MAX_CONNECTIONS = 16;
/** A scrape that has not sent its request within this is closed. */
export const METRICS_REQUEST_TIMEOUT_MS = 5000;

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
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.maxConnections = METRICS_MAX_CONNECTIONS;
    this.server.requestTimeout = METRICS_REQUEST_TIMEOUT_MS;
    this.server.headersTimeout = METRICS_REQUEST_TIMEOUT_MS;
    this.server.keepAliveTimeout = METRICS_REQUEST_TIMEOUT_MS;
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
      this.log.warn(`metrics: scrape failed: ${(err as Error).message}`);
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`scrape failed: ${(err as Error).message}\n`);
    }
  }
}
