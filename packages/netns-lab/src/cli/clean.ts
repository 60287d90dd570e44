// `mcr-lab clean`: every namespace of the lab's prefix family removed, with the processes inside.
import { PREFIX_FAMILY, clean } from '../topology/index.js';
import type { Command } from './command.js';

export const cleanCommand: Command = {
  words: ['clean'],
  summary: `remove every namespace whose name starts with "${PREFIX_FAMILY}" (killing its processes by pid) and the registry`,
  flags: {},
  allowPositionals: false,
  async run(_v, _p, io) {
    const removed = await clean();
    for (const ns of removed) io.out(`removed ${ns}`);
    if (!removed.length) io.out('nothing to clean');
    return 0;
  },
};

