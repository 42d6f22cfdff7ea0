#!/usr/bin/env bash
# Runs gil-runtime's unit tests and every integration test file of `gil` under Miri, once with
# Stacked Borrows and once with Tree Borrows: undefined behaviour, data races and leaks.
# Run it from anywhere: `bash scripts/miri.sh` (extra arguments go to the test binaries as a
# filter, e.g. `bash scripts/miri.sh weak`). Needs the nightly toolchain; installs Miri if missing.
#
# Not run here: the doc tests (Miri would spend minutes on each, and they test the same code),
# `tests/ui.rs` (it runs the compiler; ignored under Miri) and the loom models (`--cfg loom`
# builds; without it `tests/loom_*.rs` compile to nothing but `loom_user_model`'s positive case).
# Nor the minipy example's tests: an interpreter under Miri takes hours; the object model it runs
# on is covered by gil-runtime's `object` tests and `tests/object.rs`.
# The stress tests run a short form (`GIL_STRESS_ITERS`, default 20 here).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo +nightly miri --version >/dev/null 2>&1; then
    echo "==> installing Miri for the nightly toolchain"
    rustup +nightly component add miri rust-src
fi
export GIL_STRESS_ITERS="${GIL_STRESS_ITERS:-20}"

for borrows in stacked tree; do
    flags=""
    [ "$borrows" = tree ] && flags="-Zmiri-tree-borrows"
    echo "==> Miri, $borrows borrows: gil-runtime unit tests"
    MIRIFLAGS="$flags -Zmiri-strict-provenance ${MIRIFLAGS:-}" \
        cargo +nightly miri test -p gil-runtime --lib -- "$@"
    # Contended parking_lot locks cast integers to pointers (parking_lot_core's word lock), which
    # strict provenance rejects; the integration tests block on contended locks, so they run
    # with permissive provenance.
    echo "==> Miri, $borrows borrows: every integration test file of gil"
    MIRIFLAGS="$flags -Zmiri-permissive-provenance ${MIRIFLAGS:-}" \
        cargo +nightly miri test -p gilkit --test '*' -- "$@"
done
echo "==> Miri passed under Stacked and Tree Borrows"
