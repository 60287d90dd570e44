// TcEngine: the TS face of the tc BPF program on one input interface (src/bpf/relay_tc.bpf.c,
// loaded and attached by src/tc_engine.cc). Validation here; the native handle stays private.
import { callNative } from './errors.js';
import { isMulticastAddress, parseIpAddress } from './ip-address.js';
import { native, type NativeTcEngine } from './native.js';
import type { RuleSpec, TableContext, TcAttachMode, TcCounters, TcEngineOptions, TcSupport } from './types.js';
import { normalizeRules, normalizeTableContext } from './validate.js';

/** The tc engine's own limits (src/bpf/tc_abi.h states the same numbers for the program). */
export const TC_LIMITS = {
  /** Outputs per rule the program clones to; a rule with more stays with the packet engine. */
  maxOutputsPerRule: 16,
  /** TcEngineOptions.injectedCostLoops (test-only fault switch). */
  maxInjectedCostLoops: 1_000_000,
} as const;

/**
 * Why the tc engine cannot take `rule`, or null when it can. Such a rule stays with the packet
 * engine ("auto") or is refused ("tc").
 */
export function tcRefusal(rule: RuleSpec): string | null {
  if (rule.outputs.length > TC_LIMITS.maxOutputsPerRule) {
    return `it has ${rule.outputs.length} outputs; the tc program clones to at most ${TC_LIMITS.maxOutputsPerRule}`;
  }
  for (const output of rule.outputs) {
    const group = parseIpAddress(output.group);
    if (group !== null && !isMulticastAddress(group)) {
      return `output ${output.interface} is unicast (the kernel's UDP path sends it, with a neighbour lookup)`;
    }
    if (output.listeners !== undefined) {
      return `output ${output.interface} has listener gates (receiver-driven outputs stay with the packet engine)`;
    }
  }
  return null;
}

export class TcEngine {
  readonly #native: NativeTcEngine;
  #closed = false;

  /** What this kernel offers the engine; nothing is attached. */
  static probe(): TcSupport {
    return callNative(() => native.TcEngine.probe());
  }

  /** Programs on the interface's tcx ingress (any owner's), or null where the kernel has no tcx. */
  static tcxPrograms(ifindex: number): number | null {
    return callNative(() => native.TcEngine.tcxPrograms(ifindex));
  }

  /** Loads the program (the kernel verifies it); throws NativeError with the errno. */
  constructor(options: TcEngineOptions) {
    const cost = options.injectedCostLoops ?? 0;
    if (!Number.isInteger(cost) || cost < 0 || cost > TC_LIMITS.maxInjectedCostLoops) {
      throw new RangeError(
        `injectedCostLoops: expected an integer 0..${TC_LIMITS.maxInjectedCostLoops}, received ${String(cost)}`,
      );
    }
    if (!Number.isInteger(options.ifindex) || options.ifindex < 1) {
      throw new RangeError(`ifindex: expected a positive integer, received ${String(options.ifindex)}`);
    }
    this.#native = callNative(() => new native.TcEngine(options.interface, options.ifindex, cost, options.testOnlyNoTcx === true));
  }

  /** Attaches to the interface's ingress: a tcx link where the kernel has them, else clsact cls_bpf. */
  attach(): TcAttachMode {
    return callNative(() => this.#native.attach());
  }

  /**
   * A new table generation swapped in by one map update: a packet sees the old table or the new one.
   * Counters and rate-limit buckets persist per rule id. Throws RangeError for a rule the engine
   * cannot take (tcRefusal), TypeError/RangeError from validation, NativeError from the kernel.
   */
  setRules(rules: RuleSpec[], context?: TableContext): void {
    rules.forEach((rule, i) => {
      const why = tcRefusal(rule);
      if (why !== null) throw new RangeError(`rules[${i}] (${rule.id}): the tc engine cannot take it: ${why}`);
    });
    const compiled = normalizeRules('rules', rules);
    const ownMacs = normalizeTableContext('context', context);
    callNative(() => this.#native.setRules(compiled, ownMacs));
  }

  counters(): TcCounters {
    return callNative(() => this.#native.counters());
  }

  /** Detaches (closing the tcx link, or removing the filter) and frees the program and maps. Idempotent. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#native.close();
    }
    return Promise.resolve();
  }

  /** TEST-ONLY: the native handle, for BPF_PROG_TEST_RUN (test/tc-differential.test.ts). */
  get testHandle(): NativeTcEngine {
    return this.#native;
  }
}
