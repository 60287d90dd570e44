export { MAX_STREAMS, inputGroup, outputGroup, inputPort, outputPort, planStreams, type PlanOptions } from './plan.js';
