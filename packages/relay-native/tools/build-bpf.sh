#!/bin/sh
# Compiles the tc engine's BPF program and embeds it as a bpftool skeleton header (gyp action).
# Usage: build-bpf.sh SOURCE.bpf.c OUT.bpf.o OUT.skel.h
set -eu
src=$1 obj=$2 skel=$3
# -target bpf does not search Debian's multiarch include directory (asm/types.h lives there).
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
mkdir -p "$(dirname "$obj")" "$(dirname "$skel")"
clang -O2 -g -Wall -Werror -target bpf -I"/usr/include/$multiarch" -I"$(dirname "$src")" -c "$src" -o "$obj"
bpftool gen skeleton "$obj" name relay_tc > "$skel.tmp"
mv "$skel.tmp" "$skel"
