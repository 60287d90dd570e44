// The TypeScript mirror of the payload layout reads what the native sender really sends:
// packets captured by a plain UDP socket (python3, stdlib) on loopback inside a namespace.
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { HEADER_SIZE, PAYLOAD_MAGIC, fnv1a32, isValidPayload, readHeader, runSender } from '../../src/traffic/index.js';
import { useLabPair } from './lab-pair.js';

const CAPTURE = String.raw`
import socket, sys
n = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 5400))
sys.stderr.write('ready\n'); sys.stderr.flush()
for _ in range(n):
    print(s.recv(65536).hex(), flush=True)
`;

describe('payload layout (TS mirror vs native sender)', () => {
  const lab = useLabPair();

  it('header fields, length and FNV-1a checksum match; --corrupt breaks only the checksum', async () => {
    const capture = execa('ip', ['netns', 'exec', lab().sender.ns, 'python3', '-c', CAPTURE, '4'], { timeout: 30_000 });
    await new Promise<void>((resolve, reject) => {
      capture.stderr?.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      capture.catch(reject);
    });
    // Unicast to loopback, in the namespace: two streams to the same socket, seqs 7 and 9.
    const before = process.hrtime.bigint();
    await runSender({ netns: lab().sender.ns, streams: [{ group: '127.0.0.1', port: 5400 }, { group: '127.0.0.1', port: 5400 }], seqList: [7, 9], size: 300, corrupt: [9] });
    const packets = (await capture).stdout.split('\n').map((hex) => Buffer.from(hex, 'hex'));
    expect(packets).toHaveLength(4);

    const seen = packets.map((p) => {
      const h = readHeader(p)!;
      expect(p.length).toBe(300);
      expect(h.magic).toBe(PAYLOAD_MAGIC);
      expect(h.length).toBe(300);
      // The sender stamps CLOCK_MONOTONIC; Node's hrtime is the same clock on Linux.
      expect(h.sendNs).toBeGreaterThan(before);
      expect(p.subarray(HEADER_SIZE).some((b) => b !== 0)).toBe(true); // the fill pattern is there
      return { stream: h.stream, seq: Number(h.seq), valid: isValidPayload(p), checksumOk: h.checksum === fnv1a32(p) };
    });
    expect(seen).toEqual([
      { stream: 0, seq: 7, valid: true, checksumOk: true },
      { stream: 1, seq: 7, valid: true, checksumOk: true },
      { stream: 0, seq: 9, valid: false, checksumOk: false },
      { stream: 1, seq: 9, valid: false, checksumOk: false },
    ]);
  });
});
