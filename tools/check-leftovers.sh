#!/usr/bin/env bash
# Runs after the whole test suite: nothing of ours may be left behind. Our namespaces all carry the lab's
# prefix family (mcrl...); we never create links in the root namespace, so any veth there named like ours
# is a leak too. Exits 1 and names what is left.
set -u
left_ns=$(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^mcrl' || true)
left_links=$(ip -o link show type veth 2>/dev/null | awk -F': ' '{print $2}' | grep -E '^(mcrl|in[0-9]|out[0-9])' || true)
left_sockets=$(ls /run/mcr-lab/*.json 2>/dev/null || true)
status=0
if [ -n "$left_ns" ]; then echo "leftover namespaces: $left_ns" >&2; status=1; fi
if [ -n "$left_links" ]; then echo "leftover links in the root namespace: $left_links" >&2; status=1; fi
if [ -n "$left_sockets" ]; then echo "leftover lab registry entries: $left_sockets" >&2; status=1; fi
if [ $status -eq 0 ]; then echo "check-leftovers: no namespace, link or lab entry left behind"; fi
exit $status
