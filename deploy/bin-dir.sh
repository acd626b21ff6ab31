#!/usr/bin/env bash
# Prints the directory cargo puts this workspace's debug binaries in: $CARGO_TARGET_DIR/debug
# when that is set, the workspace's own target/debug otherwise (as cargo itself decides).
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
echo "$target_dir/debug"
