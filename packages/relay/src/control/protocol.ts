import { z } from 'zod';
import type { ConfigIssue } from '../config/config-error.js';
import { configIssues, isRecord, object, text } from '../config/schema-fields.js';

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

/**
 * Each command's request, as its schema checks it before anything runs: a malformed request is
 * answered EINVAL naming the field, and changes nothing. The rule of an `add` is the config file's
 * rule, checked by the relay against its own interfaces (EINVALIDCONFIG, with the rule's field paths).
 */
const version = z.literal(PROTOCOL_VERSION);
const REQUEST_SCHEMAS = {
  add: object({ v: version, cmd: z.literal('add'), rule: z.unknown().describe('the rule, in the config file\'s rule format') }),
  remove: object({ v: version, cmd: z.literal('remove'), id: text().describe('the id of the rule to remove') }),
  list: object({ v: version, cmd: z.literal('list') }),
  stats: object({ v: version, cmd: z.literal('stats') }),
  ping: object({ v: version, cmd: z.literal('ping') }),
  reload: object({ v: version, cmd: z.literal('reload') }),
} satisfies Record<Command, z.ZodType>;

export type Request = { [C in Command]: z.output<(typeof REQUEST_SCHEMAS)[C]> }[Command];

/** Every error code an answer may carry. */
export const ERROR_CODES = [
  'EPARSE', // not JSON
  'EVERSION', // unsupported protocol version
  'EUNKNOWNCMD',
  'EINVAL', // wrong argument types
  'EINVALIDCONFIG', // a rule that fails validation (issues name the fields)
  'ENOTFOUND',
  'ETOOBIG',
  'ETIMEDOUT',
  'EBUSY',
  'EJOIN', // an IGMP join failed
  'EAPPLY', // a worker refused the new rule table: the change was rolled back everywhere
  'ESTATE', // the state file (--state) could not be written: the change was not made
  'EINTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

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

/** Parses and checks one request line; throws ProtocolError (EPARSE, EINVAL, EVERSION, EUNKNOWNCMD). */
export function parseRequest(line: string): Request {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ProtocolError('EPARSE', 'request is not valid JSON');
  }
  if (!isRecord(value)) throw new ProtocolError('EINVAL', 'request must be a JSON object');
  if (value.v !== PROTOCOL_VERSION) {
    throw new ProtocolError('EVERSION', `unsupported protocol version ${JSON.stringify(value.v)}; this relay speaks v${PROTOCOL_VERSION}`);
  }
  if (typeof value.cmd !== 'string' || !(COMMANDS as readonly string[]).includes(value.cmd)) {
    throw new ProtocolError('EUNKNOWNCMD', `unknown command ${JSON.stringify(value.cmd)}; expected one of ${COMMANDS.join(', ')}`);
  }
  const cmd = value.cmd as Command;
  const result = REQUEST_SCHEMAS[cmd].safeParse(value);
  if (!result.success) {
    const issues = configIssues(result.error.issues, '', value);
    throw new ProtocolError('EINVAL', `${cmd}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  }
  return result.data as Request;
}
