// What an input interface's workers report when they come up, said once per interface: the
// PACKET_FANOUT group and mode (the first thing to check when duplicates appear), the data plane's
// pacing (the latency/CPU trade-off), and how the host's own frames are kept out of the rings.
import type { FanoutMode } from '../config/types.js';
import type { Logger } from '../log.js';
import type { FromWorker } from './ipc.js';
import type { IgnoreOutgoingMode } from '@mcr/relay-native';

type Ready = Extract<FromWorker, { type: 'ready' }>;

export class InterfaceLog {
  private fanoutLogged = false;
  private ignoreOutgoingLogged: IgnoreOutgoingMode | null = null;

  constructor(
    private readonly iface: string,
    private readonly fanoutMode: FanoutMode,
    private readonly log: Logger,
  ) {}

  /** A worker is ready; `fanoutId` is the pool's group (the first worker's, once known). */
  workerReady(message: Ready, fanoutId: number | null): void {
    if (!this.fanoutLogged) {
      this.fanoutLogged = true;
      const iface = this.iface;
      const mode = this.fanoutMode;
      this.log.info(mode === 'off' ? `interface ${iface}: PACKET_FANOUT off (every worker gets every frame)` : `interface ${iface}: PACKET_FANOUT group ${fanoutId} mode ${mode}`, {
        interface: iface,
        fanoutId,
        fanoutMode: mode,
      });
      const { coalesceMicros, latencyBudgetMicros } = message.pacing;
      this.log.info(
        coalesceMicros > 0
          ? `interface ${iface}: data plane waits a fixed ${coalesceMicros} us after a partial batch`
          : `interface ${iface}: data plane pacing adaptive, latency budget ${latencyBudgetMicros} us`,
        { interface: iface, coalesceMicros, latencyBudgetMicros },
      );
    }
    this.ignoreOutgoing(message.ignoreOutgoing);
  }

  /**
   * How the host's own transmissions on the input are kept out of the rings: said when the first worker
   * is ready, and again whenever a worker reports another way (a kernel cannot change its mind, but a
   * probe on an interface that was down is inconclusive).
   */
  private ignoreOutgoing({ mode, probe }: Ready['ignoreOutgoing']): void {
    if (mode === this.ignoreOutgoingLogged || mode === 'socket-option') return;
    this.ignoreOutgoingLogged = mode;
    const iface = this.iface;
    const fields = { interface: iface, ignoreOutgoing: mode, probe };
    if (mode === 'fanout-flag') {
      this.log.info(`interface ${iface}: the host's own frames are kept out of the rings by PACKET_FANOUT_FLAG_IGNORE_OUTGOING (probed: in effect)`, fields);
      return;
    }
    const why = {
      ignored: 'has no effect on this kernel (before Linux 6.7)',
      refused: 'is refused by this kernel',
      inconclusive: 'could not be probed (interface down or not Ethernet)',
      honoured: 'was not asked for',
      none: 'was not asked for',
    }[probe];
    this.log.warn(`interface ${iface}: PACKET_FANOUT_FLAG_IGNORE_OUTGOING ${why}: the rings' filter drops the host's own frames instead`, fields);
  }
}
