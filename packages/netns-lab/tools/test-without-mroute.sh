#!/usr/bin/env bash
# The lab's in-kernel reference tests once more as if the kernel had no multicast routing, so they are
# proved on both kinds of kernel from one machine: `kernel` then resolves to the tc mirror, and
# kernel-mfc must refuse by name. On a kernel without multicast routing the main run already did this.
# The beds' share of it runs in @mcr/mcr-lab (its tools/test-without-mroute.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -e /proc/net/ip_mr_vif ]; then
  echo "test-without-mroute: this kernel has no multicast routing; the main run covered the tc reference"
  exit 0
fi
MCR_LAB_ASSUME_NO_MROUTE=1 exec npx vitest run test/relays test/topology/lab.test.ts
