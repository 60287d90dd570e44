#!/usr/bin/env bash
# Builds the relay (relay-native + relay) of a commit (or any tree-ish) outside this checkout and
# prints the directory; its CLI is <dir>/packages/relay/bin/mcr.js. Used by tools/gate.sh for the
# baseline. The tree is exported with git archive (no worktree registered) into
# $MCR_GATE_CACHE/<id> (default /var/tmp/mcr-gate), given this checkout's third-party node_modules
# by symlink and its own @mcr/* packages, and built once with nx; later calls reuse it. The
# third-party links are made again on every call: the checkout that built the export may be gone
# (a CI clone), and its links with it.
#   ./tools/build-commit.sh <commit>        (build output on stderr, the directory on stdout)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export NX_DAEMON=false NX_NO_CLOUD=true
ref=${1:?usage: tools/build-commit.sh <commit>}
if ! id=$(git rev-parse --verify --quiet "$ref"); then
  echo "build-commit: $ref is not in this repository" >&2
  exit 2
fi
cache=${MCR_GATE_CACHE:-/var/tmp/mcr-gate}
dir=$cache/$id

# Third-party packages from this checkout; @mcr/* must be the export's own, never this tree's.
link_third_party() {
  mkdir -p "$1/node_modules/@mcr"
  for entry in node_modules/* node_modules/.bin; do
    name=$(basename "$entry")
    if [ "$name" != "@mcr" ]; then ln -sfn "$root/$entry" "$1/node_modules/$name"; fi
  done
}

if [ ! -f "$dir/.built" ]; then
  echo "build-commit: building $id in $dir" >&2
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.build-XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  git archive "$id" | tar -x -C "$tmp"
  link_third_party "$tmp"
  for pkg in "$tmp"/packages/*; do ln -s "../../packages/$(basename "$pkg")" "$tmp/node_modules/@mcr/$(basename "$pkg")"; done
  (cd "$tmp" && npx nx run relay:build --outputStyle=static --skip-nx-cache) >&2
  touch "$tmp/.built"
  # Another build of the same id may have finished meanwhile: keep the first one.
  if ! mv -T "$tmp" "$dir" 2>/dev/null; then rm -rf "$tmp"; fi
  trap - EXIT
else
  link_third_party "$dir"
fi
echo "$dir"
