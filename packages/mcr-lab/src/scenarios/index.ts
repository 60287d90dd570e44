// Scenarios: each takes normalised options and returns a ScenarioReport (passed, violations,
// table rows, details); renderReport turns it into text. `runScenario` does both steps.
import { chaos, CHAOS_WINDOW_SECONDS } from './chaos.js';
import { churn } from './churn.js';
import { compare, COMPARE_RELAYS } from './compare.js';
import type { Feature } from '@mcr/netns-lab';
import type { RelayName } from '../relays/index.js';
import { discovery } from './discovery.js';
import { duplication } from './duplication.js';
import { igmp } from './igmp.js';
import { listeners } from './listeners.js';
import { loop } from './loop.js';
import { multiStream } from './multi-stream.js';
import { querierless } from './querierless.js';
import { normaliseScenarioOptions, scenarioDefaults, type ScenarioInput, type ScenarioName, type ScenarioOptions } from './options.js';
import type { ScenarioReport } from './report.js';
import { scaling } from './scaling.js';
import { snooping } from './snooping.js';
import { soak, SOAK_RULE_CHANGE_EVERY_MS } from './soak.js';

/** What a scenario needs of the machine besides its relays (doctor: whether it can run here). */
export interface ScenarioNeeds {
  /** The relays it always runs; absent: the one --relay names (default mcr). */
  relays?: RelayName[];
  features?: Feature[];
}

export const SCENARIOS: Record<ScenarioName, { summary: string; needs: ScenarioNeeds; run: (o: ScenarioOptions) => Promise<ScenarioReport> }> = {
  'multi-stream': { summary: 'N streams through one relay: loss, duplicates, cross-talk per stream', needs: {}, run: multiStream },
  scaling: { summary: `multi-stream for each count in --streams (default ${scenarioDefaults('scaling').streams.join(',')}); one table`, needs: {}, run: scaling },
  duplication: { summary: 'mcr with N workers: delivered <= sent, no duplicate, every worker forwards', needs: { relays: ['mcr'] }, run: duplication },
  igmp: {
    summary: 'mcr behind a snooping bridge: delivery, /proc/net/igmp(6), leave and join delays',
    needs: { relays: ['mcr'], features: ['bridgeIgmpSnooping', 'bridgeMldSnooping', 'bridgeQuerier'] },
    run: igmp,
  },
  snooping: {
    summary: `any relay behind the IGMP/MLD-snooping bridge: every group arrives, an unjoined one does not (default ${scenarioDefaults('snooping').streams.join(',')} streams)`,
    needs: { features: ['bridgeIgmpSnooping', 'bridgeMldSnooping', 'bridgeQuerier'] },
    run: snooping,
  },
  churn: { summary: 'mcr add/remove on extra groups under traffic: the other streams lose nothing', needs: { relays: ['mcr'] }, run: churn },
  compare: { summary: 'the same traffic through mcr, socat and kernel, one table', needs: { relays: [...COMPARE_RELAYS] }, run: compare },
  soak: { summary: 'mcr for --duration s with a rule added or removed every second: memory, fds, loss', needs: { relays: ['mcr'] }, run: soak },
  loop: {
    summary: 'mcr with input and output on one segment, and two mcr in a ring: one datagram is relayed at most as its TTL allows',
    needs: { relays: ['mcr'], features: ['bridge'] },
    run: loop,
  },
  chaos: {
    summary: `mcr (${scenarioDefaults('chaos').workers} workers, --state) under one fault every 2-5 s (worker and supervisor kills, link flaps, a re-created output, MTU, MAC, rule changes, reload, a full disk): bounded loss, no duplicate, the rules kept`,
    needs: { relays: ['mcr'] },
    run: chaos,
  },
  listeners: {
    summary: 'mcr forwarding to listeners on 3 bridged segments: receivers (IGMPv2/v3, MLDv1/v2 host stacks) join and leave at random; join and leave bounds, no duplicate, querier election and take-over',
    needs: { relays: ['mcr'], features: ['bridge'] },
    run: listeners,
  },
  querierless: {
    summary: 'a snooping bridge that nobody queries ages out its memberships and the stream stops; with mcr forwarding to listeners and querying, it continues',
    needs: { relays: ['mcr'], features: ['bridgeIgmpSnooping', 'bridgeMldSnooping', 'bridgeQuerier'] },
    run: querierless,
  },
  discovery: {
    summary: 'mcr reflecting mDNS, SSDP and WS-Discovery between two segments: python-zeroconf, gssdp-discover and wsdd (IPv4) find across, nothing without the reflector, a denied service stays hidden, loops carry at most one copy per reflector',
    needs: { relays: ['mcr'] },
    run: discovery,
  },
};

/** Normalises `input` (ScenarioUsageError on a bad option) and runs the scenario. */
export function runScenario(name: string, input: ScenarioInput = {}): Promise<ScenarioReport> {
  const o = normaliseScenarioOptions(name, input);
  return SCENARIOS[o.scenario].run(o);
}

export { multiStream, scaling, duplication, discovery, igmp, snooping, churn, compare, soak, loop, chaos, listeners, querierless, CHAOS_WINDOW_SECONDS, SOAK_RULE_CHANGE_EVERY_MS };
export {
  normaliseScenarioOptions,
  ScenarioUsageError,
  SCENARIO_NAMES,
  INJECTED_BUGS,
  BUGS_FOR,
  SCENARIO_FLAGS,
  SCENARIO_INPUT_KEY,
  scenarioDefaults,
  scenarioFlagsForHelp,
  type ScenarioInput,
  type ScenarioOptions,
  type ScenarioName,
  type InjectedBug,
  type FanoutMode,
} from './options.js';
export { renderReport, checkTrial, makeReport, type ScenarioReport, type Violation, type Row } from './report.js';
