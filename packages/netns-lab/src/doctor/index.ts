export { machineFindings, probeMachine, FEATURES, type Feature, type MachineFindings } from './machine.js';
export { ASSUME_NO_MROUTE_ENV, assumeNoMroute, type Finding, type ToolVersion } from './probes.js';
export { doctorReport, renderDoctor, type DoctorReport } from './report.js';
