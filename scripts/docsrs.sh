#!/usr/bin/env bash
# Builds the facade's documentation as docs.rs does (nightly, `--cfg docsrs` for rustc and
# rustdoc, the features of `[package.metadata.docs.rs]`) and checks that an item behind a feature
# shows its feature. Needs the nightly toolchain; not part of the test command.
set -euo pipefail
cd "$(dirname "$0")/.."

RUSTFLAGS="--cfg docsrs" RUSTDOCFLAGS="--cfg docsrs -D warnings" \
    cargo +nightly doc --quiet -p gilkit --no-deps --features deadlock-detection \
    --target-dir target/docsrs
page=target/docsrs/doc/gilkit/field_lock/fn.check_deadlock.html
if grep -q 'Available on <strong>crate feature <code>deadlock-detection</code></strong> only' "$page"; then
    echo "docs.rs build: feature-gated items show their feature"
else
    echo "docs.rs build: $page does not show its feature" >&2
    exit 1
fi
