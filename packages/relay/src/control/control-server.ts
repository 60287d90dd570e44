import { chmodSync, lchownSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { ControlConnection, sayAndClose, type RequestHandler } from './control-connection.js';
import { failure } from './protocol.js';
import { claimSocketPath, type SocketPathClaim } from './socket-path.js';

export type { RequestHandler } from './control-connection.js';

export interface ControlServerOptions {
  path: string;
  mode: number;
  group?: string;
  /** The connection deadline (see ConnectionLimits.timeoutMs): idle, whole line, unread answers. */
  idleTimeoutMs?: number;
  maxClients?: number;
  /** A client that does not read its answers is dropped once this much is queued for it. */
  maxQueuedBytes?: number;
}

/**
 * The relay's control socket. It runs in the supervisor, never in a data-plane worker, so however a
 * client misbehaves (silent, slow, dribbling, pipelining, oversized, malformed) forwarding goes on;
 * what each connection may cost is bounded by ControlConnection, the number of them by maxClients.
 */
export class ControlServer {
  private server: Server | undefined;
  private claim: SocketPathClaim | undefined;
  /** Set by close(): a start-up still running when the relay is told to stop must not listen after all. */
  private closed = false;
  private readonly clients = new Set<Socket>();

  constructor(
    private readonly options: ControlServerOptions,
    private readonly handle: RequestHandler,
  ) {}

  /**
   * Checks the directory, resolves the group and takes the path's lock (see claimSocketPath, which
   * `mcr run` calls before starting anything, so that a refusal leaves nothing behind); throws a clear
   * error otherwise. The lock is kept for the process's lifetime.
   */
  claimPath(): void {
    this.claim = claimSocketPath(this.options.path, this.options.group);
  }

  async listen(): Promise<void> {
    if (this.closed) throw new Error('stopped before the control socket was opened');
    this.claimPath();
    const { path, mode } = this.options;
    const gid = this.claim!.gid;
    // Half-open allowed: a client may send its requests and close its side at once (`printf ... | socat`);
    // it still gets every answer, and we close our side after the last one.
    const server = createServer({ allowHalfOpen: true }, (socket) => this.accept(socket));
    // The socket file gets its permissions from the umask at bind(): it is never, even briefly, more
    // open than configured. With a group, it is created owner-only and opened to the group once it has
    // that group. The directory is ours (checked), so the path cannot be swapped in between.
    const created = gid === undefined ? mode : mode & 0o700;
    const previous = process.umask(0o777 & ~created);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(previous);
    }
    this.server = server;
    if (this.closed) {
      await this.close(); // close() came while bind() was under way
      throw new Error('stopped before the control socket was opened');
    }
    try {
      if (gid !== undefined) {
        lchownSync(path, process.getuid?.() ?? 0, gid);
        if (created !== mode) chmodSync(path, mode);
      }
    } catch (err) {
      await this.close();
      throw new Error(`control socket ${path}: cannot give it group ${this.options.group}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Closes every connection and removes the socket file. The path's lock stays until the process exits. */
  async close(): Promise<void> {
    this.closed = true;
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const client of this.clients) client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    try {
      unlinkSync(this.options.path);
    } catch {
      // already gone
    }
  }

  private accept(socket: Socket): void {
    if (this.clients.size >= (this.options.maxClients ?? 128)) {
      // Refused with a reason rather than a silent close; the clients holding the slots meet their deadlines.
      sayAndClose(socket, failure('EBUSY', 'too many control connections; try again'));
      return;
    }
    this.clients.add(socket);
    socket.on('close', () => this.clients.delete(socket));
    new ControlConnection(socket, this.handle, {
      timeoutMs: this.options.idleTimeoutMs ?? 10_000,
      maxQueuedBytes: this.options.maxQueuedBytes ?? 1 << 20,
    });
  }
}
