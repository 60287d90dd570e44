import type { Socket } from 'node:net';
import { LineReader, LineTooLongError } from './line-reader.js';
import { failure, MAX_MESSAGE_BYTES, MAX_REQUESTS_IN_FLIGHT, parseRequest, ProtocolError, type Request, type Response } from './protocol.js';

export type RequestHandler = (request: Request) => Promise<Response>;

export interface ConnectionLimits {
  /**
   * The one deadline of a connection, counted from the moment it starts: a connection with nothing
   * to do must send a request's first byte within it, a request line must be complete within it
   * from its first byte, and a client must take the answers queued for it within it.
   */
  timeoutMs: number;
  /** A backstop: a connection whose unsent answers pass this is dropped at once. */
  maxQueuedBytes: number;
}

/** How long a client may keep its side open after our last answer. */
export const CLOSE_GRACE_MS = 1000;

type Deadline = { kind: 'idle' | 'line' | 'drain'; at: number };

/**
 * One control client. Requests are answered one at a time, in order; its cost to the relay is bounded
 * whatever it does:
 * - at most MAX_REQUESTS_IN_FLIGHT requests (and about MAX_MESSAGE_BYTES of them) read and not
 *   answered: past that the socket is paused (the kernel's buffers, then the client's writes, absorb
 *   the rest) until answers go out;
 * - the next answer is computed only once the previous one has left our write buffer, so a client
 *   that does not read holds one answer here, and is dropped when it has not taken it in time;
 * - a request line must be complete within the deadline from its first byte (a client dribbling a
 *   byte at a time loses its slot), and a line longer than MAX_MESSAGE_BYTES closes the connection;
 * - lines are split in one pass over the bytes (LineReader).
 */
export class ControlConnection {
  private readonly reader = new LineReader(MAX_MESSAGE_BYTES);
  /** Lines read and not answered yet; the first is being answered when `answering`. */
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private answering = false;
  private waitingForDrain = false;
  private clientEnded = false;
  private closing = false;
  private idleSince = Date.now();
  private lineStartedAt: number | undefined;
  private drainSince = 0;
  private timer: NodeJS.Timeout | undefined;
  private armed: Deadline | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly handle: RequestHandler,
    private readonly limits: ConnectionLimits,
  ) {
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.disarm());
    socket.on('data', (chunk: Buffer) => {
      this.reader.push(chunk);
      this.pump();
    });
    socket.on('end', () => {
      this.clientEnded = true;
      this.pump();
    });
    this.pump();
  }

  /** Moves the connection on: reads lines up to the in-flight limit, answers the next, re-arms the deadline. */
  private pump(): void {
    if (this.closing || this.socket.destroyed) return;
    try {
      while (this.queue.length < MAX_REQUESTS_IN_FLIGHT && this.queuedBytes < MAX_MESSAGE_BYTES) {
        const line = this.reader.next();
        if (line === undefined) break;
        if (isBlank(line)) continue;
        this.queue.push(line);
        this.queuedBytes += line.length;
      }
    } catch (err) {
      if (!(err instanceof LineTooLongError)) throw err;
      return this.closeWith(failure('ETOOBIG', err.message));
    }
    const full = this.reader.hasUnscanned; // lines wait that we will not take yet
    if (full) this.socket.pause();
    else if (this.socket.isPaused()) this.socket.resume();

    // While reading is paused on our account, a partial line is not the client's fault: its deadline
    // starts when we scan its first bytes.
    if (full || this.reader.pendingLineBytes === 0) this.lineStartedAt = undefined;
    else this.lineStartedAt ??= Date.now();

    const busy = this.answering || this.waitingForDrain || this.queue.length > 0;
    if (!busy && !this.reader.hasUnscanned && this.clientEnded) {
      this.closing = true;
      this.disarm();
      this.socket.end(); // every request answered; the client has closed its side
      return;
    }
    if (!this.answering && !this.waitingForDrain && this.queue.length > 0) void this.answerNext();
    this.arm();
  }

  private async answerNext(): Promise<void> {
    this.answering = true;
    const response = await this.respond(this.queue[0]!.toString('utf8'));
    this.queuedBytes -= this.queue.shift()!.length;
    this.answering = false;
    this.idleSince = Date.now(); // an idle deadline counts from the last answer
    if (this.closing || this.socket.destroyed) return;
    if (this.socket.writableLength > this.limits.maxQueuedBytes) {
      this.socket.destroy(); // a client that does not read must not make us buffer without bound
      return;
    }
    if (!this.socket.write(`${JSON.stringify(response)}\n`)) {
      this.waitingForDrain = true;
      this.drainSince = Date.now();
      this.socket.once('drain', () => {
        this.waitingForDrain = false;
        this.idleSince = Date.now();
        this.pump();
      });
    }
    this.pump();
  }

  private async respond(line: string): Promise<Response> {
    try {
      return await this.handle(parseRequest(line));
    } catch (err) {
      return err instanceof ProtocolError
        ? failure(err.code, err.message, err.issues)
        : failure('EINTERNAL', err instanceof Error ? err.message : String(err));
    }
  }

  /** The deadline that applies now: whichever the connection is waiting for (nothing while we work). */
  private deadline(): Deadline | undefined {
    const { timeoutMs } = this.limits;
    if (this.waitingForDrain) return { kind: 'drain', at: this.drainSince + timeoutMs };
    if (this.lineStartedAt !== undefined) return { kind: 'line', at: this.lineStartedAt + timeoutMs };
    if (this.answering || this.queue.length > 0 || this.reader.hasUnscanned) return undefined;
    return { kind: 'idle', at: this.idleSince + timeoutMs };
  }

  private arm(): void {
    const next = this.deadline();
    if (next?.kind === this.armed?.kind && next?.at === this.armed?.at) return;
    this.disarm();
    if (!next) return;
    this.armed = next;
    this.timer = setTimeout(() => this.expire(next), Math.max(0, next.at - Date.now()));
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armed = undefined;
  }

  private expire(deadline: Deadline): void {
    this.timer = undefined;
    this.armed = undefined;
    const seconds = this.limits.timeoutMs / 1000;
    switch (deadline.kind) {
      case 'idle':
        return this.closeWith(failure('ETIMEDOUT', `no request received within ${seconds} s`));
      case 'line':
        return this.closeWith(failure('ETIMEDOUT', `request line not completed within ${seconds} s of its first byte`));
      case 'drain':
        this.closing = true;
        this.socket.destroy(); // it does not read: a last answer would not reach it either
    }
  }

  /**
   * Sends a last answer and closes our side. The socket is read until the client's EOF (a socket nobody
   * reads never sees it, and would keep server.close() waiting forever), and destroyed after a grace
   * period if the client never closes: it must not hold a slot.
   */
  closeWith(response: Response): void {
    sayAndClose(this.socket, response);
    this.closing = true;
    this.disarm();
  }
}

/** Answers a connection once and closes it (also used for connections refused before they start). */
export function sayAndClose(socket: Socket, response: Response): void {
  socket.removeAllListeners('data');
  socket.on('error', () => socket.destroy());
  socket.resume(); // read and discard until the client's EOF, so that its close is seen
  socket.end(`${JSON.stringify(response)}\n`);
  setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
}

function isBlank(line: Buffer): boolean {
  for (const byte of line) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) return false;
  return true;
}
