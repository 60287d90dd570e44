// Public API of the lab's traffic tools: native mcr-send / mcr-recv behind typed wrappers.
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
export { udpFrame, ipOffset, malformedFrames, injectFrames, type FrameOptions } from './raw-frames.js';
export { probeMroute, probeTimer, probeFanoutIgnoreOutgoing, type MrouteProbe, type TimerProbe, type FanoutIgnoreOutgoingProbe } from './probe.js';
