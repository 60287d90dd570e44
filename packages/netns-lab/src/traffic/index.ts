// Public API of the lab's native tools: mcr-send / mcr-recv / mcr-probe behind typed wrappers.
export { toolPath, releaseDir, type TrafficTool } from './binaries.js';
export { TrafficToolError } from './errors.js';
export * from './payload.js';
export { runSender, senderArgs, type SenderOptions, type SenderResult } from './sender.js';
export {
  startReceiver,
  receiverArgs,
  type ReceiverOptions,
  type ReceiverResult,
  type ReceiverHandle,
  type StreamReport,
  type StreamCounts,
  type LatencyUs,
} from './receiver.js';
export type { StreamTarget } from './validate.js';
export {
  startObserver,
  observerArgs,
  parseObservations,
  RECORD,
  type Observation,
  type ObservedData,
  type ObservedMembership,
  type MembershipRecord,
  type ObserverHandle,
} from './observer.js';
export { TIMER_PROBE, SENDER_DEFAULTS, SENDER_PROCESSES, LAB_LINK_MTU, IP_UDP_HEADER, type SenderMode } from './limits.js';
export {
  probeMroute,
  probeTimer,
  probeFanoutIgnoreOutgoing,
  type MrouteProbe,
  type TimerProbe,
  type TimerProbeOptions,
  type FanoutIgnoreOutgoingProbe,
} from './probe.js';
export { udpFrame, ipOffset, malformedFrames, injectFrames, type FrameOptions } from './raw-frames.js';
