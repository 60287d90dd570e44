// `mcr-lab doctor`: what this machine can do, and which relays and scenarios can run here.
import { ASSUME_NO_MROUTE_ENV, doctorReport, renderDoctor, type DoctorPlan } from '../doctor/index.js';
import type { Command } from './command.js';

/** `doctor` judging the baselines, then `plan`'s plugged-in relays and its scenarios. */
export const doctorCommand = (plan?: DoctorPlan): Command => ({
  words: ['doctor'],
  summary:
    'probe what this kernel and these tools can do (multicast routing, bridge snooping, tc, netem, 8021q, fanout flags, ' +
    `BPF JIT, tool versions, cores, timer granularity), then say which relays and scenarios can run here and why not ` +
    `(test-only switch: ${ASSUME_NO_MROUTE_ENV}=1 behaves as if the kernel had no multicast routing)`,
  flags: { json: { help: 'print the report as JSON' } },
  allowPositionals: false,
  async run(values, _p, io) {
    const report = await doctorReport(plan);
    io.out(values.json ? JSON.stringify(report, null, 2) : renderDoctor(report).trimEnd());
    return 0;
  },
});
