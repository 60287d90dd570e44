// Every relay's exact command line or configuration, from the adapters' own pure functions, for one
// stream of the lab's plan on the chain topology: what an engineer needs to run each baseline outside
// the lab. The README's bench section is generated from this, so it cannot drift from what runs.
import {
  chain,
  directWireBatch,
  inputGroup,
  inputPort,
  LAB_TTL,
  outputGroup,
  outputPort,
  resolveStreams,
  smcroutedArgs,
  smcrouteConf,
  socatArgs,
  SOCAT_BUFFER_BYTES,
  tcMirrorBatch,
  type AddressFamily,
} from '@mcr/netns-lab';
import { DEFAULTS } from '@mcr/relay';
import { mcrConfig } from './mcr.js';
import { relayTitle, type ConcreteRelayName } from './registry.js';

export interface RelayRecipe {
  relay: ConcreteRelayName;
  title: string;
  /** What it is, in a sentence. */
  summary: string;
  /** Files it reads, by name, with their text. */
  files: { name: string; text: string }[];
  /** Shell commands, in order, run in the relay's namespace. */
  commands: string[];
}

const shell = (argv: string[]): string => argv.map((a) => (/^[\w@%+=:,./[\]-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
const batch = (tool: string, text: string): string[] => text.trimEnd().split('\n').map((l) => `${tool} ${l}`);

/** The recipes for stream 0 of the plan (`family`), on the chain topology: in0 -> out0. Pure. */
export function relayRecipes(family: AddressFamily = 'ipv4'): RelayRecipe[] {
  const role = chain({ prefix: 'mcrlrecipe' }).relays[0]!;
  const rewritten = resolveStreams(role, [{ group: inputGroup(0, family), port: inputPort(0), outGroup: outputGroup(0, family), outPort: outputPort(0) }]);
  const kept = resolveStreams(role, [{ group: inputGroup(0, family), port: inputPort(0), outGroup: inputGroup(0, family), outPort: inputPort(0) }]);
  const s = rewritten[0]!;
  const out = s.outs[0]!;
  const recipe = (relay: ConcreteRelayName, summary: string, files: RelayRecipe['files'], commands: string[]): RelayRecipe => ({ relay, title: relayTitle(relay), summary, files, commands });
  return [
    recipe('mcr', `the relay under test with its defaults; the lab writes one rule per stream (ttl ${LAB_TTL}, more than any topology's hops).`, [{ name: 'mcr.json', text: JSON.stringify(mcrConfig(rewritten, DEFAULTS.controlSocket)) }], ['mcr run --config mcr.json']),
    recipe(
      'socat',
      `one process per stream and output, quiet, with ${SOCAT_BUFFER_BYTES / 1024 / 1024} MiB receive and send buffers (SO_RCVBUFFORCE / SO_SNDBUFFORCE): the size of mcr's receive ring per input.`,
      [],
      [shell(['socat', ...socatArgs(s, out, { ttl: LAB_TTL, bufferBytes: SOCAT_BUFFER_BYTES })])],
    ),
    recipe('socat-default', 'the same command on the kernel\'s default socket buffers, as an untuned socat runs.', [], [shell(['socat', ...socatArgs(s, out, { ttl: LAB_TTL, bufferBytes: null })])]),
    recipe(
      'kernel-mfc',
      'kernel multicast routing, installed by smcroute (needs CONFIG_IP_MROUTE / CONFIG_IPV6_MROUTE and forwarding on); it cannot rewrite group or port.',
      [{ name: 'smcroute.conf', text: smcrouteConf(kept).trimEnd() }],
      [shell(['smcrouted', ...smcroutedArgs('.', 'mcrlab')])],
    ),
    recipe(
      'kernel-tc',
      'a clsact ingress u32 match per stream with `mirred egress mirror` to each output: in-kernel forwarding without multicast routing; it rewrites nothing and leaves the TTL alone.',
      [],
      batch('tc', tcMirrorBatch(kept)),
    ),
    recipe('direct', 'no relay: a wire (every frame of the input redirected, unchanged, to the output), the ceiling of sender and receiver on this machine.', [], batch('tc', directWireBatch(kept))),
  ];
}
