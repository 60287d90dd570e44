import { describe, expect, it } from 'vitest';
import { LineReader, LineTooLongError } from '../../src/control/line-reader.js';

const lines = (reader: LineReader) => {
  const out: string[] = [];
  for (let line = reader.next(); line !== undefined; line = reader.next()) out.push(line.toString());
  return out;
};

describe('LineReader', () => {
  it('splits lines across and within chunks, keeping the incomplete tail for later', () => {
    const reader = new LineReader(100);
    reader.push(Buffer.from('a\nbb'));
    reader.push(Buffer.from('b\n\nc'));
    expect(lines(reader)).toEqual(['a', 'bbb', '']);
    expect(reader.pendingLineBytes).toBe(1);
    reader.push(Buffer.from('c\n'));
    expect(lines(reader)).toEqual(['cc']);
    expect(reader.pendingLineBytes).toBe(0);
    expect(reader.hasUnscanned).toBe(false);
  });

  it('scans lazily: what the caller has not asked for stays unscanned', () => {
    const reader = new LineReader(100);
    reader.push(Buffer.from('1\n2\n3\n'));
    expect(reader.next()!.toString()).toBe('1');
    expect(reader.hasUnscanned).toBe(true);
    expect(lines(reader)).toEqual(['2', '3']);
    expect(reader.hasUnscanned).toBe(false);
  });

  it('a line one byte at a time is reassembled; one past the limit throws, whether or not its newline came', () => {
    const reader = new LineReader(8);
    for (const ch of '12345678') reader.push(Buffer.from(ch));
    expect(reader.next()).toBeUndefined();
    expect(reader.pendingLineBytes).toBe(8);
    reader.push(Buffer.from('\n'));
    expect(reader.next()!.toString()).toBe('12345678');

    const long = new LineReader(8);
    long.push(Buffer.from('123456789'));
    expect(() => long.next()).toThrow(LineTooLongError);
    const longWithNewline = new LineReader(8);
    longWithNewline.push(Buffer.from('12345'));
    longWithNewline.push(Buffer.from('6789\n'));
    expect(() => longWithNewline.next()).toThrow(/request longer than 8 bytes/);
  });

  it('a megabyte of short lines in one chunk costs one pass', () => {
    const reader = new LineReader(64 * 1024);
    reader.push(Buffer.from('{"v":1,"cmd":"stats"}\n'.repeat(50_000)));
    const t0 = performance.now();
    expect(lines(reader)).toHaveLength(50_000);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
