// The sizes and bounds of end-to-end tests that the reference pages state (docs/faults-and-limits.md,
// docs/how-it-works.md): the tests use these, and test/docs.test.ts checks the pages say them.

/**
 * Rules added one at a time; the quantile of the adds whose supervisor CPU is bounded, and the bound;
 * and the loose bound on any single add (a garbage collection or a descheduled moment lands there).
 */
export const BULK_RULE_ADDS = { rules: 1000, quantile: 0.99, maxCpuMs: 30, maxCpuMsAny: 500 } as const;

/** How soon the metrics endpoint cuts an idle or a slow connection, at most. */
export const METRICS_CUT_WITHIN_MS = 5000;

/** Groups joined on one interface, in each family: well past a socket's membership cap. */
export const MANY_GROUPS = 200;
