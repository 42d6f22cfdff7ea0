#!/usr/bin/env bash
# gil-runtime's unit tests and every integration test file of `gil` under the thread sanitizer
# (nightly, with the standard library rebuilt for it). `GIL_STRESS_ITERS` sets the iterations per
# thread of the stress tests (default here: 20000). Extra arguments go to the test binaries.
#
# Built for the sanitizer, gil-runtime replaces its `Acquire` fences by `Acquire` loads (see
# `gil-runtime/build.rs`), as std's `Arc` does: the sanitizer does not model fences. Not run
# here: `tests/ui.rs` (it runs the compiler), the doc tests, and the loom models (`--cfg loom`).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "tsan.sh needs the nightly toolchain: rustup toolchain install nightly" >&2
    exit 1
fi
if ! rustup +nightly component list --installed | grep -q '^rust-src'; then
    rustup +nightly component add rust-src
fi
target=$(rustc -vV | sed -n 's/^host: //p')
export GIL_STRESS_ITERS="${GIL_STRESS_ITERS:-20000}"
export RUSTFLAGS="-Zsanitizer=thread" RUSTDOCFLAGS="-Zsanitizer=thread"
# A report fails the run instead of only printing.
export TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}"
tsan_test() {
    cargo +nightly test -Zbuild-std --target "$target" --target-dir target/tsan "$@"
}
echo "==> thread sanitizer: gil-runtime unit tests"
tsan_test -p gil-runtime --lib -- "$@"
echo "==> thread sanitizer: every integration test file of gil (but the compile-fail cases)"
tsan_test -p gilkit --tests -- --exact --skip ui "$@"
echo "==> the thread sanitizer found no race"
