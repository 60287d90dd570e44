#!/usr/bin/env bash
# Prepares a fresh Debian machine (as root) to build, test and benchmark this repository.
# Idempotent: installs only the Debian packages that are missing, then the npm dependencies, then
# builds every package (the native addon and the lab's traffic tools included).
set -euo pipefail
cd "$(dirname "$0")/.."

export NX_DAEMON=false NX_NO_CLOUD=true

# iproute2: ip netns/veth/bridge; socat and smcroute: the baselines; build-essential + python3: node-gyp;
# procps: sysctl; clang: the parser fuzzer (libFuzzer lives in clang's runtime package);
# iperf3 and ethtool: the relay-native TCP-noise test (a TCP flow across the relay's input, offloads on/off);
# libbpf-dev, libelf-dev, zlib1g-dev and bpftool: the tc engine (its BPF program is compiled with clang
# -target bpf and embedded as a bpftool skeleton; the addon links libbpf).
# igmpproxy: bench:join-leave's reference (it runs only where the kernel has multicast routing);
# python3-zeroconf, gupnp-tools (gssdp-discover), wsdd: the discovery scenario's real clients.
DEBIAN_PACKAGES=(iproute2 socat smcroute build-essential python3 procps clang libclang-rt-14-dev iperf3 ethtool
  libbpf-dev libelf-dev zlib1g-dev bpftool igmpproxy python3-zeroconf gupnp-tools wsdd)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]} > 0)); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages (${missing[*]}); run this script as root" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update
  # Some of these ship daemons (wsdd, igmpproxy) that would announce this host or join groups on its
  # real interfaces; the lab only runs their programs inside its own namespaces. So no service is
  # started by the installation (policy-rc.d, honoured by invoke-rc.d and deb-systemd-invoke), and
  # their units are disabled afterwards.
  policy=/usr/sbin/policy-rc.d
  placed=false
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && placed=true
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" || { "$placed" && rm -f "$policy"; exit 1; }
  if "$placed"; then rm -f "$policy"; fi
  if command -v systemctl >/dev/null; then
    for unit in wsdd.service igmpproxy.service; do
      systemctl disable --now "$unit" >/dev/null 2>&1 || true
    done
  fi
else
  echo "setup: Debian packages present"
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js 20 or newer is required (found $(node --version))" >&2
  exit 1
fi

# npm ci only when the lock file changed since the last install: keeps a second run quick.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies"
  npm ci --no-audit --no-fund
else
  echo "setup: npm dependencies up to date"
fi

echo "setup: building"
npx nx run-many -t build --outputStyle=static
echo "setup: done"
