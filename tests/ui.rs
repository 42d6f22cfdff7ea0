//! Compile-fail cases: `tests/ui/<attribute>/<what-is-wrong>.rs`, each with its `.stderr`.
//! Cases that must compile and run: `tests/ui-pass/<attribute>/<what-works>.rs`, and hostile but
//! legitimate user code in `tests/ui-pass/hostile/`.
//!
//! Regenerate the expected output after an intended change with `TRYBUILD=overwrite cargo test --test ui`.
//!
//! The `.stderr` snapshots hold rustc's wording, which changes between releases: they are
//! compared only under the toolchain that recorded them ([`SNAPSHOT_RUSTC`]). Under another one,
//! each case must still fail to compile (and each passing one pass), but the text is not
//! compared; set `GIL_UI_SNAPSHOTS=1` to compare it anyway (then update the snapshots and
//! `SNAPSHOT_RUSTC`).

/// The `rustc` release (`major.minor`) whose diagnostics the `.stderr` files hold.
const SNAPSHOT_RUSTC: &str = "1.95";

#[test]
#[cfg_attr(miri, ignore = "runs the compiler, which Miri cannot")]
fn ui() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let version = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let recorded = version.starts_with(&format!("rustc {SNAPSHOT_RUSTC}."));
    let t = trybuild::TestCases::new();
    if recorded || std::env::var_os("GIL_UI_SNAPSHOTS").is_some() {
        t.compile_fail("tests/ui/*/*.rs");
    } else {
        eprintln!(
            "tests/ui: {} is not rustc {SNAPSHOT_RUSTC}: checking that each case fails to \
             compile, without comparing the diagnostics' wording",
            version.trim()
        );
        // trybuild then records each case's output next to the copy instead of comparing it, and
        // still fails a case that compiles.
        std::env::set_var("TRYBUILD", "overwrite");
        let scratch = std::env::temp_dir().join("gilkit-ui-cases");
        let _ = std::fs::remove_dir_all(&scratch); // the last such run's copies
        for case in glob_cases("tests/ui") {
            // A copy without its `.stderr`, in a scratch directory that overwriting may change.
            let copy = scratch.join(case.strip_prefix("tests/ui").expect("under tests/ui"));
            std::fs::create_dir_all(copy.parent().expect("a file")).expect("scratch dir");
            std::fs::copy(&case, &copy).expect("copy a case");
            t.compile_fail(copy);
        }
    }
    t.pass("tests/ui-pass/*/*.rs");
}

/// `dir/*/*.rs`.
fn glob_cases(dir: &str) -> Vec<std::path::PathBuf> {
    let mut cases = Vec::new();
    for group in std::fs::read_dir(dir).expect("tests/ui").flatten() {
        for case in std::fs::read_dir(group.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = case.path();
            if path.extension().is_some_and(|e| e == "rs") {
                cases.push(
                    std::path::Path::new(dir).join(path.strip_prefix(dir).expect("under dir")),
                );
            }
        }
    }
    cases.sort();
    cases
}
