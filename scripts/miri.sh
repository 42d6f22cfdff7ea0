#!/usr/bin/env bash
# Runs gil-runtime's unit tests, the GIL's integration tests and a short form of the stress tests
# under Miri: undefined behaviour, data races and leaks.
# Run it from anywhere: `bash scripts/miri.sh` (extra arguments go to the test binary filter,
# e.g. `bash scripts/miri.sh refcount`). Needs the nightly toolchain; installs Miri if missing.
#
# The loom models are not run here (they are `--cfg loom` tests of the root package), and the
# doc tests are skipped (`--lib`): Miri would spend minutes on each and they test the same code.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo +nightly miri --version >/dev/null 2>&1; then
    echo "==> installing Miri for the nightly toolchain"
    rustup +nightly component add miri rust-src
fi

# Many seeds would find more interleavings; one keeps the run short on a small machine.
MIRIFLAGS="${MIRIFLAGS:--Zmiri-strict-provenance}" cargo +nightly miri test -p gil-runtime --lib -- "$@"
# Contended parking_lot locks cast integers to pointers (parking_lot_core's word lock), which
# strict provenance rejects; these tests block on contended locks, so they run permissive.
GIL_STRESS_ITERS="${GIL_STRESS_ITERS:-20}" MIRIFLAGS="${MIRIFLAGS:--Zmiri-permissive-provenance}" \
    cargo +nightly miri test -p gil --test global_lock --test stress -- "$@"
