//! Sets `cfg(gil_tsan)` when the crate is built for the thread sanitizer (`-Zsanitizer=thread`), which
//! does not model standalone fences: the runtime then uses an `Acquire` load instead, as std's
//! `Arc` does (see `sync::acquire_fence`).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(gil_tsan)");
    println!("cargo::rerun-if-env-changed=CARGO_CFG_SANITIZE");
    let sanitizers = std::env::var("CARGO_CFG_SANITIZE").unwrap_or_default();
    if sanitizers.split(',').any(|s| s == "thread") {
        println!("cargo::rustc-cfg=gil_tsan");
    }
}
