import { connect } from 'node:net';
import { PROTOCOL_VERSION, type Command, type Response } from './protocol.js';

export class ControlClientError extends Error {
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ControlClientError';
  }
}

/** Sends one request to the relay's control socket and returns its response. */
export function request(path: string, cmd: Command, args: Record<string, unknown> = {}, timeoutMs = 5000): Promise<Response> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let buffered = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ControlClientError(`no answer from ${path} within ${timeoutMs} ms`, 'ETIMEDOUT'));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify({ v: PROTOCOL_VERSION, cmd, ...args })}\n`));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      socket.end();
      try {
        resolve(JSON.parse(buffered.slice(0, newline)) as Response);
      } catch (err) {
        reject(new ControlClientError(`malformed answer from ${path}`, 'EPARSE', { cause: err }));
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      // The relay may answer and close before our request is fully written (EBUSY): its answer counts.
      const newline = buffered.indexOf('\n');
      if (newline >= 0) {
        try {
          return resolve(JSON.parse(buffered.slice(0, newline)) as Response);
        } catch {
          // fall through to the connection error
        }
      }
      const hint = err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? ' (is the relay running? is --control right?)' : '';
      reject(new ControlClientError(`cannot reach the relay at ${path}: ${err.code ?? err.message}${hint}`, err.code ?? 'EIO', { cause: err }));
    });
  });
}
