// Public API of @mcr/mcr-lab: mcr plugged into the lab (its adapter and the relay registry that
// holds it with the lab's baselines), test beds and trials, the scenarios, and the mcr-lab CLI.
export * from './relays/index.js';
export * from './bed/index.js';
export * from './scenarios/index.js';
export { doctorPlan } from './doctor-plan.js';
export { COMMANDS, PROGRAM, main } from './cli.js';
export { measureJoinLeave, JOIN_LEAVE_HOLD_MS, JOIN_LEAVE_QUIET_MS, type JoinLeaveRound, type JoinLeaveOptions } from './listeners/join-leave.js';
export { LAB_IGMP, LAB_INTERVALS_MS, JOIN_BOUND_MS, LEAVE_BOUND_MS } from './listeners/timers.js';
