// What `mcr-lab doctor` judges besides the lab's baselines: mcr, plugged in, and every scenario with
// the relays and kernel features it needs (a scenario that names no relays runs the one --relay
// names, mcr by default).
import type { DoctorPlan } from '@mcr/netns-lab';
import { mcrPlugins } from './relays/index.js';
import { SCENARIOS } from './scenarios/index.js';

export function doctorPlan(): DoctorPlan {
  return {
    relays: mcrPlugins(),
    scenarios: Object.entries(SCENARIOS).map(([name, { needs }]) => ({ name, relays: needs.relays ?? ['mcr'], features: needs.features ?? [] })),
  };
}
