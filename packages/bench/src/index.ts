// @mcr/bench: the pieces the CLI is made of, for tests and other tools.
export * from './search/search.js';
export * from './search/verdict.js';
export * from './search/ratios.js';
export * from './results/schema.js';
export * from './gate/decision.js';
export * from './search/spread.js';
export { normalizeSettings, UsageError, TARGETS, DEFAULT_RELAYS, SOAK_DEFAULT_RATE_PPS, type Settings } from './settings.js';
export { FIXED_RATES_PPS, NDR_FRACTION, BULK_RATE_PPS, FIXED_WINDOW_MICROS, TCP_NOISE_RATE_PPS, TCP_NOISE_MIN_BITS_PER_SECOND, LATENCY_TARGETS } from './latency/figures.js';
export { doublings } from './targets/search-targets.js';
export { EXIT_SOME_UNAVAILABLE } from './cli.js';
