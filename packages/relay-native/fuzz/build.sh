#!/usr/bin/env bash
# Builds the libFuzzer target into build/fuzz/parse_fuzzer (build/ is git-ignored).
# Needs clang++ with the sanitizer/fuzzer runtime (Debian: clang libclang-rt-14-dev).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pkg="$(dirname "$here")"
out="$pkg/build/fuzz"
mkdir -p "$out"
"${CXX:-clang++}" -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -Wall -Wextra -I "$pkg/src" \
  "$here/parse_fuzzer.cc" "$pkg/src/frame_parser.cc" "$pkg/src/rule_table.cc" "$pkg/src/listener_gates.cc" "$pkg/src/egress.cc" \
  -o "$out/parse_fuzzer"
echo "$out/parse_fuzzer"
