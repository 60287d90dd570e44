import { describe, expect, it } from 'vitest';
import { parseRequest, ProtocolError } from '../../src/control/protocol.js';

function refusal(line: string): { code: string; message: string; paths?: string[] } {
  try {
    parseRequest(line);
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    const e = err as ProtocolError;
    return { code: e.code, message: e.message, ...(e.issues ? { paths: e.issues.map((i) => i.path) } : {}) };
  }
  throw new Error(`expected ${line} to be refused`);
}

describe('control requests', () => {
  it('takes every command in its own shape', () => {
    expect(parseRequest('{"v":1,"cmd":"ping"}')).toEqual({ v: 1, cmd: 'ping' });
    expect(parseRequest('{"v":1,"cmd":"remove","id":"s1"}')).toEqual({ v: 1, cmd: 'remove', id: 's1' });
    // An add's rule is the relay's to check, against its interfaces (EINVALIDCONFIG with field paths).
    expect(parseRequest('{"v":1,"cmd":"add","rule":42}')).toEqual({ v: 1, cmd: 'add', rule: 42 });
    for (const cmd of ['list', 'stats', 'reload']) expect(parseRequest(JSON.stringify({ v: 1, cmd }))).toEqual({ v: 1, cmd });
  });

  it('refuses, with a code and the field, whatever is malformed', () => {
    expect(refusal('{"v":1,')).toMatchObject({ code: 'EPARSE' });
    expect(refusal('[1]')).toMatchObject({ code: 'EINVAL', message: 'request must be a JSON object' });
    expect(refusal('{"v":2,"cmd":"ping"}')).toMatchObject({ code: 'EVERSION', message: 'unsupported protocol version 2; this relay speaks v1' });
    expect(refusal('{"cmd":"ping"}')).toMatchObject({ code: 'EVERSION' });
    expect(refusal('{"v":1,"cmd":"format-disk"}')).toMatchObject({ code: 'EUNKNOWNCMD' });
    expect(refusal('{"v":1,"cmd":"remove","id":42}')).toEqual({ code: 'EINVAL', message: 'remove: id: must be a non-empty string, got 42', paths: ['id'] });
    expect(refusal('{"v":1,"cmd":"remove"}')).toMatchObject({ code: 'EINVAL', message: 'remove: id: must be a non-empty string, got nothing' });
    expect(refusal('{"v":1,"cmd":"ping","verbose":true}')).toEqual({ code: 'EINVAL', message: 'ping: verbose: unknown field (expected one of: v, cmd)', paths: ['verbose'] });
    expect(refusal('{"v":1,"cmd":"add"}')).toMatchObject({ code: 'EINVAL', paths: ['rule'] });
  });
});
