export { run, inNetns, netnsArgv, CommandError, type RunOptions, type RunResult } from './exec.js';
export {
  listNamespaces,
  namespaceExists,
  addNamespace,
  namespacePids,
  killNamespacePids,
  deleteNamespace,
} from './namespaces.js';
export { igmpMemberships, mldMemberships, parseProcNetIgmp, parseProcNetIgmp6, canonicalIpv6 } from './igmp.js';
