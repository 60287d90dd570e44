import { describe, expect, it } from 'vitest';
import { datagramKey, LoopCache } from '../../src/reflectors/loop-cache.js';

describe('LoopCache', () => {
  it('knows a key within its window and forgets it after', () => {
    const cache = new LoopCache(1000);
    const key = datagramKey('224.0.0.251:5353', Buffer.from('q'));
    expect(cache.has(key, 0)).toBe(false);
    cache.record(key, 0);
    expect(cache.has(key, 999)).toBe(true);
    expect(cache.has(key, 1000)).toBe(false);
    expect(cache.size).toBe(0);
  });

  it('keys on the group and the payload both', () => {
    expect(datagramKey('224.0.0.251:5353', Buffer.from('q'))).not.toBe(datagramKey('ff02::fb:5353', Buffer.from('q')));
    expect(datagramKey('224.0.0.251:5353', Buffer.from('q'))).not.toBe(datagramKey('224.0.0.251:5353', Buffer.from('r')));
  });

  it('holds at most its maximum, dropping the oldest', () => {
    const cache = new LoopCache(1000, 3);
    for (const k of ['a', 'b', 'c', 'd']) cache.record(k, 0);
    expect(cache.size).toBe(3);
    expect(cache.has('a', 1)).toBe(false);
    expect(cache.has('d', 1)).toBe(true);
  });
});
