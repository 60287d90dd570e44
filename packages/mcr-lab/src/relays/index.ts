export {
  RELAY_NAMES,
  RELAY_TITLES,
  CONCRETE_RELAYS,
  relayTitle,
  relayRewrites,
  createRelay,
  resolveRelay,
  assertRelayAvailable,
  type RelayName,
  type ConcreteRelayName,
  type CreateRelayOptions,
} from './registry.js';
export { McrRelay, mcrConfig, type McrConfig, type McrRelayOptions } from './mcr.js';
export { mcrBin, mcrUnavailableReason, MCR_BIN_ENV } from './mcr-bin.js';
export { isMcrRelay, MCR_RELAYS, mcrPlugin, mcrPlugins, type McrRelayName } from './mcr-plugin.js';
export type { McrStartOptions, McrDataPlane, McrTestOnly, McrForward, McrIgmpSettings } from './mcr-options.js';
export { relayRecipes, type RelayRecipe } from './recipes.js';
