#!/usr/bin/env bash
# Checks the `rust-version` the workspace declares: builds the library crates (`gil`, `gil-runtime`,
# `gil-macros`) with exactly that toolchain, installing it if missing, and then a small crate that
# uses each attribute, so that the code the macros generate is checked too.
# Run it from anywhere: `bash scripts/msrv.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."

msrv=$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml)
echo "==> rust-version = $msrv"
if ! rustup run "$msrv" rustc --version >/dev/null 2>&1; then
    rustup toolchain install "$msrv" --profile minimal
fi
cargo "+$msrv" build --locked -p gilkit -p gil-runtime -p gil-macros --lib

user=$(mktemp -d)
trap 'rm -rf "$user"' EXIT
mkdir -p "$user/src"
cat >"$user/Cargo.toml" <<TOML
[package]
name = "msrv-user"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
gilkit = { path = "$PWD" }
TOML
cat >"$user/src/main.rs" <<'RUST'
#[gilkit::global_lock(debug, fields = AccountFields)]
pub struct Account<'a> {
    pub balance: i64,
    pub owner: &'a str,
}

#[gilkit::per_field_lock(padded, fields = TotalsFields)]
pub struct Totals {
    pub count: u64,
}

#[gilkit::atomic_rc(biased)]
pub struct Node {
    pub value: u64,
}

gilkit::model::statics! {
    static HITS: gilkit::GilCell<u64> = gilkit::GilCell::new(0);
}

fn main() {
    let account = Account::from(AccountFields { balance: 1, owner: "a" });
    gilkit::with_gil(|g| {
        *account.fields_mut(g).0 += 1;
        *HITS.get_mut(g) += 1;
        assert_eq!(format!("{:?}", account.debug(g)), r#"Account { balance: 2, owner: "a" }"#);
    });
    let totals = Totals::from(TotalsFields { count: 0 });
    *totals.count().lock() += 1;
    assert_eq!(totals.into_fields().count, 1);
    let node = Node { value: 3 }.into_handle();
    let local = gilkit::refcount::AtomicRc::to_local(&node).expect("the owner");
    assert_eq!(local.clone().value, 3);
}
RUST
cp Cargo.lock "$user/"
cargo "+$msrv" run --quiet --manifest-path "$user/Cargo.toml" --target-dir target/msrv
echo "==> the library and the code its attributes generate build with Rust $msrv"
