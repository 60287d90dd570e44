// Stand-in sender and receiver (python3, stdlib only) for tests that run before the native
// mcr-send / mcr-recv exist. Payload: ASCII "STREAM SEQ" or "prime". The receiver binds each
// socket to its group with IP_MULTICAST_ALL off, so it never counts another stream's packets.
import { execa } from 'execa';

export interface Stream {
  group: string;
  port: number;
}

const RECEIVER = String.raw`
import json, select, signal, socket, struct, sys
ifname, expect = sys.argv[1], int(sys.argv[2])
streams = [(a.split(':')[0], int(a.split(':')[1])) for a in sys.argv[3:]]
ifindex = socket.if_nametoindex(ifname)
socks, stats = [], []
for g, p in streams:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IP, 49, 0)  # IP_MULTICAST_ALL off
    s.bind((g, p))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton(g) + socket.inet_aton('0.0.0.0') + struct.pack('=i', ifindex))
    socks.append(s)
    stats.append({'group': g, 'port': p, 'received': 0, 'seqs': set(), 'primes': 0, 'foreign': 0})
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)
sys.stderr.write('ready\n'); sys.stderr.flush()
while not stop and not (expect > 0 and all(len(st['seqs']) >= expect for st in stats)):
    try:
        r, _, _ = select.select(socks, [], [], 0.2)
    except InterruptedError:
        continue
    for s in r:
        st = stats[socks.index(s)]
        data = s.recv(65536)
        if data == b'prime':
            st['primes'] += 1
            continue
        parts = data.split()
        st['received'] += 1
        if len(parts) == 2 and int(parts[0]) == socks.index(s):
            st['seqs'].add(int(parts[1]))
        else:
            st['foreign'] += 1
out = [{'group': st['group'], 'port': st['port'], 'received': st['received'], 'unique': len(st['seqs']),
        'duplicates': st['received'] - st['foreign'] - len(st['seqs']), 'foreign': st['foreign'], 'primes': st['primes']} for st in stats]
print(json.dumps({'streams': out}))
`;

const SENDER = String.raw`
import socket, sys, time
src_ip, ttl, count, prime, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
streams = [(a.split(':')[0], int(a.split(':')[1])) for a in sys.argv[6:]]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(src_ip))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
for _ in range(prime):
    for g, p in streams:
        s.sendto(b'prime', (g, p))
    time.sleep(0.05)
if prime:
    time.sleep(0.3)  # let (*,G) become (S,G) in a kernel relay before counting
for seq in range(count):
    for i, (g, p) in enumerate(streams):
        s.sendto(('%d %d' % (first + i, seq)).encode(), (g, p))
    time.sleep(0.001)  # a few hundred pps: the stand-ins test paths, not rates
`;

export interface StreamResult {
  group: string;
  port: number;
  received: number;
  unique: number;
  duplicates: number;
  foreign: number;
  primes: number;
}

export interface Receiver {
  /** Waits for the receiver to finish (it stops once each stream has `expect` packets), SIGTERM after `boundMs`. */
  result(boundMs?: number): Promise<StreamResult[]>;
  kill(): void;
}

const spec = (streams: Stream[]) => streams.map((s) => `${s.group}:${s.port}`);

export async function startReceiver(ns: string, ifname: string, streams: Stream[], expect = 0): Promise<Receiver> {
  const child = execa('ip', ['netns', 'exec', ns, 'python3', '-c', RECEIVER, ifname, String(expect), ...spec(streams)], {
    reject: false,
    stdin: 'ignore',
  });
  await new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('ready')) resolve();
    });
    void child.then((r) => reject(new Error(`receiver exited before ready: ${r.stderr}`)));
  });
  return {
    async result(boundMs = 5000) {
      const timer = setTimeout(() => child.kill('SIGTERM'), boundMs);
      const r = await child;
      clearTimeout(timer);
      if (r.exitCode !== 0) throw new Error(`receiver failed (${r.exitCode}): ${r.stderr}`);
      return (JSON.parse(r.stdout) as { streams: StreamResult[] }).streams;
    },
    kill() {
      child.kill('SIGKILL');
    },
  };
}

export async function send(ns: string, srcIp: string, streams: Stream[], opts: { count: number; prime?: number; ttl?: number; firstId?: number }): Promise<void> {
  const r = await execa('ip', ['netns', 'exec', ns, 'python3', '-c', SENDER, srcIp, String(opts.ttl ?? 8), String(opts.count), String(opts.prime ?? 0), String(opts.firstId ?? 0), ...spec(streams)], {
    reject: false,
    stdin: 'ignore',
  });
  if (r.exitCode !== 0) throw new Error(`sender failed (${r.exitCode}): ${r.stderr}`);
}
