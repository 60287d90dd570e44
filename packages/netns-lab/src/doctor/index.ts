export { machineFindings, probeMachine, FEATURES, type Feature, type MachineFindings } from './machine.js';
export { ASSUME_NO_MROUTE_ENV, assumeNoMroute, type Finding, type ToolVersion } from './probes.js';
export { doctorReport, renderDoctor, verdicts, type DoctorReport, type DoctorPlan, type DoctorScenario, type RelayVerdict, type ScenarioVerdict } from './report.js';
