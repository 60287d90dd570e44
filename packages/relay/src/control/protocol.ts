import type { ConfigIssue } from '../config/config-error.js';

// The control protocol: one JSON object per line over a Unix stream socket, each request answered by
// one response line, in order. Versioned so that old clients get a clear answer from new relays.

export const PROTOCOL_VERSION = 1;
/** Longest request line accepted; a longer one is answered ETOOBIG and the connection is closed. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/**
 * Requests read from one connection and not answered yet; past it the relay stops reading that
 * connection until answers have gone out. Pipelining up to it keeps a client's round trips cheap.
 */
export const MAX_REQUESTS_IN_FLIGHT = 16;
export const COMMANDS = ['add', 'remove', 'list', 'stats', 'ping', 'reload'] as const;
export type Command = (typeof COMMANDS)[number];

export interface Request {
  v: number;
  cmd: Command;
  /** `add`: the rule, in the config file's rule format. */
  rule?: unknown;
  /** `remove`: the rule id. */
  id?: string;
}

export type ErrorCode =
  | 'EPARSE' // not JSON
  | 'EVERSION' // unsupported protocol version
  | 'EUNKNOWNCMD'
  | 'EINVAL' // wrong argument types
  | 'EINVALIDCONFIG' // a rule that fails validation (issues name the fields)
  | 'ENOTFOUND'
  | 'ETOOBIG'
  | 'ETIMEDOUT'
  | 'EBUSY'
  | 'EJOIN' // an IGMP join failed
  | 'EAPPLY' // a worker refused the new rule table: the change was rolled back everywhere
  | 'EINTERNAL';

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  issues?: ConfigIssue[];
}

export type Response = { v: number; ok: true; result: unknown } | { v: number; ok: false; error: ErrorBody };

export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues?: ConfigIssue[],
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export function ok(result: unknown): Response {
  return { v: PROTOCOL_VERSION, ok: true, result };
}

export function failure(code: ErrorCode, message: string, issues?: ConfigIssue[]): Response {
  return { v: PROTOCOL_VERSION, ok: false, error: { code, message, ...(issues ? { issues } : {}) } };
}

/** Checks one request line's shape; the command's own arguments are checked by its handler. */
export function parseRequest(line: string): Request {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ProtocolError('EPARSE', 'request is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError('EINVAL', 'request must be a JSON object');
  }
  const req = value as Record<string, unknown>;
  if (req.v !== PROTOCOL_VERSION) {
    throw new ProtocolError('EVERSION', `unsupported protocol version ${JSON.stringify(req.v)}; this relay speaks v${PROTOCOL_VERSION}`);
  }
  if (typeof req.cmd !== 'string' || !(COMMANDS as readonly string[]).includes(req.cmd)) {
    throw new ProtocolError('EUNKNOWNCMD', `unknown command ${JSON.stringify(req.cmd)}; expected one of ${COMMANDS.join(', ')}`);
  }
  if (req.id !== undefined && typeof req.id !== 'string') throw new ProtocolError('EINVAL', 'id: must be a string');
  return req as unknown as Request;
}
