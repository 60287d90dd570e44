// Crafted sequences (--seq-list) and corrupted payloads (--corrupt): the receiver's counts are
// computed by hand below and asserted exactly.
import { describe, expect, it } from 'vitest';
import { runSender, startReceiver, type ReceiverOptions, type SenderOptions, type StreamReport } from '../../src/traffic/index.js';
import { useLabPair } from './lab-pair.js';

const stream = { group: '239.201.2.1', port: 5100 };

describe('crafted sequences and corruption', () => {
  const lab = useLabPair();

  async function exchange(send: Partial<SenderOptions>, recv: Partial<ReceiverOptions> = {}): Promise<StreamReport> {
    const receiver = await startReceiver({ netns: lab().receiver.ns, interface: lab().receiver.ifname, streams: [stream], idleMs: 300, durationSec: 60, ...recv });
    try {
      await runSender({ netns: lab().sender.ns, interface: lab().sender.ifname, streams: [stream], ...send });
      const report = await receiver.result;
      return report.streams[0]!;
    } finally {
      await receiver.stop();
    }
  }

  it('0,1,1,2,5,4,3 with --expect 7: 1 duplicate, 2 reordered (4 and 3 after 5), 1 missing (6)', async () => {
    const s = await exchange({ seqList: [0, 1, 1, 2, 5, 4, 3] }, { expect: 7 });
    expect(s).toMatchObject({ received: 7, unique: 6, duplicates: 1, reordered: 2, missing: 1, corrupt: 0, foreign: 0 });
  });

  it('0,1,1,2,5,4,3 without --expect: missing = highest 5 + 1 - 6 unique = 0', async () => {
    const s = await exchange({ seqList: [0, 1, 1, 2, 5, 4, 3] });
    expect(s).toMatchObject({ received: 7, unique: 6, duplicates: 1, reordered: 2, missing: 0 });
  });

  it('gaps: 0,2,4,9 -> missing 6 (1,3,5,6,7,8), nothing reordered', async () => {
    const s = await exchange({ seqList: [0, 2, 4, 9] });
    expect(s).toMatchObject({ received: 4, unique: 4, duplicates: 0, reordered: 0, missing: 6 });
  });

  it('--corrupt: the flipped packets are corrupt, not unique, and show up as missing', async () => {
    const s = await exchange({ count: 10, corrupt: [3, 7] }, { expect: 10 });
    expect(s).toMatchObject({ received: 10, unique: 8, duplicates: 0, corrupt: 2, missing: 2, foreign: 0 });
  });

  it('--corrupt hits every copy of a duplicated seq', async () => {
    const s = await exchange({ seqList: [0, 1, 1, 2], corrupt: [1] });
    // Valid: 0 and 2 (unique 2); both copies of 1 corrupt; missing = 2 + 1 - 2 = 1.
    expect(s).toMatchObject({ received: 4, unique: 2, duplicates: 0, corrupt: 2, missing: 1, reordered: 0 });
  });

  it('every payload size at the limits passes the checksum', async () => {
    for (const size of [64, 65, 1472, 8972]) {
      const s = await exchange({ count: 20, size }, { expect: 20 });
      expect({ size, ...s }).toMatchObject({ size, received: 20, unique: 20, corrupt: 0, missing: 0 });
    }
  });
});
