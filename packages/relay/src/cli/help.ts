// Each command's help: what it does, in prose, then its options, derived from the command's flag
// table (descriptions, ranges and defaults from the schemas that check the values).
import { optionsHelp } from '@mcr/cli-kit';
import { ADD_FLAGS, CLIENT_FLAGS } from './client-commands.js';
import { RUN_FLAGS } from './run-command.js';
import { VALIDATE_FLAGS } from './validate-command.js';

export const VERSION = '0.1.0';

const CLIENT_OPTIONS = optionsHelp(CLIENT_FLAGS);

export const HELP: Record<string, string> = {
  main: `mcr ${VERSION}: userspace multicast relay

Usage: mcr <command> [options]

Commands:
  run       run the relay daemon (data plane workers, IGMP memberships, control socket)
  add       add a rule to a running relay
  remove    remove a rule from a running relay
  list      list the rules of a running relay
  stats     show counters: per rule, per worker, IGMP, per reflector
  reflectors show the discovery reflectors' counters: per member and per path
  ping      check that a relay answers on its control socket
  validate  check a config file: every problem with its field path (exit 0 valid, 2 invalid)
  reload    re-read the relay's config file and apply the difference (as SIGHUP does)

Run 'mcr <command> --help' for the options of a command.
The control socket defaults to $MCR_CONTROL or /run/mcr/control.sock.
Exit status: 0 success, 1 the relay refused or failed the request, 2 usage or configuration error.`,
  run: `Usage: mcr run --config FILE [options]

Starts the relay: for every input interface in use, N worker processes in one PACKET_FANOUT group;
one IGMP membership owner per interface; a control socket. SIGTERM or SIGINT stops the workers,
leaves every group, prints final stats and exits 0 (during start-up too). SIGHUP reloads the
config file (see 'mcr reload --help').
A start-up that fails (bad config, socket directory or group, another relay on the socket) exits 2.

Options:
${optionsHelp(RUN_FLAGS)}`,
  add: `Usage: mcr add --input IFACE:GROUP[/LEN]:PORT --output IFACE:GROUP[/LEN]:PORT[:TTL] [--output ...] [options]

Adds a rule to the running relay. It takes effect at once, without restarting workers, and only once
every worker has applied it: a change a worker refuses is rolled back everywhere (EAPPLY).

GROUP is an IPv4 or IPv6 address; IPv6 goes in brackets: in0:[ff3e::1:2]:5001. GROUP/LEN is a range
of groups (in0:239.1.0.0/24:5001, in0:[ff3e::1:0]/120:5001); an output range of the same size maps
each group to the one at the same offset, an output that is one group gets them all. A rule's input,
source and outputs are all IPv4 or all IPv6.

Options:
${optionsHelp(ADD_FLAGS)}`,
  remove: `Usage: mcr remove ID [options]

Removes rule ID from the running relay; its group is left when no other rule needs it.

Options:
${CLIENT_OPTIONS}`,
  list: `Usage: mcr list [options]

Lists the rules of the running relay, then those that wait (pending), each with its reason, e.g.
"pending: interface x is absent": they start when their interfaces appear.

Options:
${CLIENT_OPTIONS}`,
  stats: `Usage: mcr stats [options]

Shows counters: per rule (matched, rate-limited, per output forwarded), per worker (pid, state
running | restarting | failing, restarts, last error, loop-guard and TTL drops), totals, and the IGMP
counters and current memberships, and the interfaces in use (state, address, MTU, and the
PACKET_FANOUT group and mode of an input's workers), and each discovery reflector's counters (as
'mcr reflectors' shows them).

Options:
${CLIENT_OPTIONS}`,
  reflectors: `Usage: mcr reflectors [options]

Shows each discovery reflector (the config's "reflectors"): per member interface and family, the
datagrams received and those dropped as the relay's own frames (ownframes) or as copies reflected
within the last second (suppressed: the loop cache), and mDNS messages that did not parse; per path
(from -> to, family), the datagrams reflected, filtered (nothing left once the destination's service
lists applied), rewritten (records removed: service lists, link-local addresses) and send errors.
--json prints the same rows as the "reflectors" section of 'mcr stats --json'. Reflectors are
restart-only: a reload that changes them reports them under ignoredUntilRestart.

Options:
${CLIENT_OPTIONS}`,
  validate: `Usage: mcr validate --config FILE [options]

Checks FILE as 'mcr run' would, without starting anything, and prints every problem with the path of
its field (e.g. rules[3].outputs[0].port: must be 1..65535, got 70000). Interfaces are looked up in
this network namespace; --skip-interfaces leaves them unchecked (a file meant for another host).
With waitForInterfaces: true an absent interface is a warning (its rule would wait for it), not a problem.
Exit status: 0 valid, 2 invalid (or unreadable).

Options:
${optionsHelp(VALIDATE_FLAGS)}`,
  reload: `Usage: mcr reload [options]

Asks the relay to re-read its config file (as SIGHUP does) and apply the difference as one
transaction: unchanged rules keep forwarding and counting, added rules start, removed rules stop and
their groups are left, changed rules are replaced. Rules added at runtime (mcr add) are kept unless
the file names their id itself. A file rule whose interface is absent (waitForInterfaces) waits,
pending. An invalid file changes nothing: every problem is printed with its field
path (exit 1). workers, fanout, dataPlane, igmp, control, metrics, statsInterval, logFormat and testOnly take
effect only at the next start (reported as ignored until restart); logLevel and waitForInterfaces
apply at once.

Options:
${CLIENT_OPTIONS}`,
  ping: `Usage: mcr ping [options]

Exits 0 when a relay answers on the control socket, 1 otherwise.

Options:
${CLIENT_OPTIONS}`,
};
