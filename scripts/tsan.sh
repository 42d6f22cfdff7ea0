#!/usr/bin/env bash
# The stress tests under ThreadSanitizer (nightly, with the standard library rebuilt for TSan).
# `GIL_STRESS_ITERS` sets the iterations per thread (default here: 20000).
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
GIL_STRESS_ITERS="${GIL_STRESS_ITERS:-20000}" RUSTFLAGS="-Zsanitizer=thread" RUSTDOCFLAGS="-Zsanitizer=thread" \
    cargo +nightly test -Zbuild-std --target "$target" --target-dir target/tsan -p gil --test stress -- --nocapture
