#!/usr/bin/env bash
# The loom models with a deeper preemption bound than the test command's (3 instead of 2).
set -euo pipefail
cd "$(dirname "$0")/.."
RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-3}" \
    cargo test --release --target-dir target/loom -p gil --test 'loom_*' "$@"
