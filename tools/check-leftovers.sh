#!/usr/bin/env bash
# Runs after the whole test suite: nothing of ours may be left behind. Our namespaces all carry the lab's
# prefix family (mcrl...); we never create links in the root namespace, so any veth there named like ours
# is a leak too. Exits 1 and names what is left.
set -u
left_ns=$(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^mcrl' || true)
left_links=$(ip -o link show type veth 2>/dev/null | awk -F': ' '{print $2}' | grep -E '^(mcrl|in[0-9]|out[0-9])' || true)
left_sockets=$(ls /run/mcr-lab/*.json 2>/dev/null || true)
# The tc engine's program (mcr_tc_ingress) lives only as long as its relay: any loaded copy after the suite
# is a leak, attached (a cls_bpf filter of a killed relay) or pinned. Program ids are global, so this
# sees every namespace. Pinned objects of ours would carry the mcr prefix.
left_progs=$(bpftool prog show 2>/dev/null | awk '/ name mcr_tc_(ingress|test_emi)/ {print $1 $4}' || true)
left_pins=$(ls -d /sys/fs/bpf/mcr* 2>/dev/null || true)
left_filters=$(for dev in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
  tc filter show dev "$dev" ingress 2>/dev/null | grep -q 'mcr_tc_ingress' && echo "$dev"
done)
status=0
if [ -n "$left_ns" ]; then echo "leftover namespaces: $left_ns" >&2; status=1; fi
if [ -n "$left_links" ]; then echo "leftover links in the root namespace: $left_links" >&2; status=1; fi
if [ -n "$left_sockets" ]; then echo "leftover lab registry entries: $left_sockets" >&2; status=1; fi
if [ -n "$left_progs" ]; then echo "leftover tc engine programs (id:name): $left_progs" >&2; status=1; fi
if [ -n "$left_pins" ]; then echo "leftover pinned BPF objects: $left_pins" >&2; status=1; fi
if [ -n "$left_filters" ]; then echo "leftover tc engine filters in the root namespace on: $left_filters" >&2; status=1; fi
if [ $status -eq 0 ]; then echo "check-leftovers: no namespace, link, lab entry, tc program, filter or pin left behind"; fi
exit $status
