//! Compile-fail cases: `tests/ui/<attribute>/<what-is-wrong>.rs`, each with its `.stderr`.
//! Cases that must compile and run: `tests/ui-pass/<attribute>/<what-works>.rs`, and hostile but
//! legitimate user code in `tests/ui-pass/hostile/`.
//!
//! Regenerate the expected output after an intended change with `TRYBUILD=overwrite cargo test --test ui`.

#[test]
#[cfg_attr(miri, ignore = "runs the compiler, which Miri cannot")]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*/*.rs");
    t.pass("tests/ui-pass/*/*.rs");
}
