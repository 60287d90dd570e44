import { chmodSync, chownSync, lstatSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { failure, MAX_MESSAGE_BYTES, parseRequest, ProtocolError, type Request, type Response } from './protocol.js';

export type RequestHandler = (request: Request) => Promise<Response>;

export interface ControlServerOptions {
  path: string;
  mode: number;
  group?: string;
  /** A connection that sends nothing for this long is told ETIMEDOUT and closed. */
  idleTimeoutMs?: number;
  maxClients?: number;
  /** A client that does not read its answers is dropped once this much is queued for it. */
  maxQueuedBytes?: number;
}

/**
 * The relay's control socket. It runs in the supervisor, never in a data-plane worker, so however a
 * client misbehaves (silent, slow, oversized, malformed) forwarding goes on; each connection's damage
 * is bounded by the idle timeout, the message size limit and the queued-bytes limit.
 */
export class ControlServer {
  private server: Server | undefined;
  private readonly clients = new Set<Socket>();

  constructor(
    private readonly options: ControlServerOptions,
    private readonly handle: RequestHandler,
  ) {}

  async listen(): Promise<void> {
    const { path } = this.options;
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    await removeStaleSocket(path);
    // Half-open allowed: a client may send its requests and close its side at once (`printf ... | socat`);
    // it still gets every answer, and we close our side after the last one.
    const server = createServer({ allowHalfOpen: true }, (socket) => this.accept(socket));
    // The socket file is created with the umask's permissions: narrow it before listen() so the
    // socket is never, even briefly, reachable with wider permissions than configured.
    const previous = process.umask(0o777 & ~this.options.mode);
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
    chmodSync(path, this.options.mode);
    if (this.options.group !== undefined) chownSync(path, process.getuid?.() ?? 0, groupId(this.options.group));
    this.server = server;
  }

  async close(): Promise<void> {
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
      // Refused with a reason rather than a silent close; the silent clients holding the slots time out.
      socket.on('error', () => socket.destroy());
      sayAndClose(socket, failure('EBUSY', 'too many control connections; try again'));
      return;
    }
    this.clients.add(socket);
    socket.on('close', () => this.clients.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(this.options.idleTimeoutMs ?? 10_000, () => this.reply(socket, failure('ETIMEDOUT', 'no request received in time'), true));

    let buffered = '';
    let queue = Promise.resolve();
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (Buffer.byteLength(line) > MAX_MESSAGE_BYTES) return this.tooBig(socket);
        if (line.trim() === '') continue;
        // Requests on one connection are answered in order, one at a time.
        queue = queue.then(() => this.answer(socket, line));
      }
      if (Buffer.byteLength(buffered) > MAX_MESSAGE_BYTES) this.tooBig(socket);
    });
    socket.on('end', () => {
      queue = queue.then(() => {
        if (!socket.destroyed) socket.end();
      });
    });
  }

  private async answer(socket: Socket, line: string): Promise<void> {
    if (socket.destroyed) return;
    let response: Response;
    try {
      response = await this.handle(parseRequest(line));
    } catch (err) {
      response =
        err instanceof ProtocolError
          ? failure(err.code, err.message, err.issues)
          : failure('EINTERNAL', err instanceof Error ? err.message : String(err));
    }
    this.reply(socket, response, false);
  }

  private tooBig(socket: Socket): void {
    this.reply(socket, failure('ETOOBIG', `request longer than ${MAX_MESSAGE_BYTES} bytes`), true);
  }

  private reply(socket: Socket, response: Response, thenClose: boolean): void {
    if (socket.destroyed) return;
    if (socket.writableLength > (this.options.maxQueuedBytes ?? 1 << 20)) {
      socket.destroy(); // a client that does not read must not make us buffer without bound
      return;
    }
    if (thenClose) sayAndClose(socket, response);
    else socket.write(`${JSON.stringify(response)}\n`);
  }
}

/**
 * Sends a last answer and closes our side. The socket is read until the client's EOF (a socket nobody
 * reads never sees it, and would keep server.close() waiting forever), and destroyed after a grace period
 * if the client never closes: it must not hold a slot.
 */
function sayAndClose(socket: Socket, response: Response): void {
  socket.removeAllListeners('data');
  socket.resume(); // read and discard until the client's EOF, so that its close is seen
  socket.end(`${JSON.stringify(response)}\n`);
  setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
}

/** How long a client may keep its side open after our last answer. */
const CLOSE_GRACE_MS = 1000;

/**
 * A socket file left by a crashed relay is removed; one that still answers belongs to a running relay and
 * is an error; anything that is not a socket (a symlink above all: never follow it) is refused.
 */
async function removeStaleSocket(path: string): Promise<void> {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return; // nothing there
  }
  if (stat.isSymbolicLink()) throw new Error(`control socket path ${path} is a symbolic link; refusing to use it`);
  if (!stat.isSocket()) throw new Error(`control socket path ${path} exists and is not a socket; refusing to replace it`);
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`control socket ${path} is in use: another relay is running (stop it or pass another --control)`);
  unlinkSync(path);
}

function groupId(group: string): number {
  if (/^\d+$/.test(group)) return Number(group);
  const line = readFileSync('/etc/group', 'utf8')
    .split('\n')
    .find((l) => l.split(':')[0] === group);
  if (!line) throw new Error(`control.group: unknown group "${group}"`);
  return Number(line.split(':')[2]);
}
