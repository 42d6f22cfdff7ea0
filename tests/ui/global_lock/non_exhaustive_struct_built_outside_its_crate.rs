// Row 1: the constructor of a `#[non_exhaustive]` struct is `pub(crate)` at most, and so is
// `fields_mut` (its tuple would change with every new field); the handle and the accessors stay
// public. The structs live in `tests/upstream`.
use gil_test_upstream::{SealedGlobal, SealedLocked};

fn main() {
    let _ = SealedGlobal::new(1);
    let _ = SealedLocked::new(1);
    let (global, locked, shared) = gil_test_upstream::sealed();
    gilkit::with_gil(|g| *global.fields_mut(g).0 += 1);
    let _ = locked.a().lock();
    let _ = shared.into_handle();
    let _ = global.into_handle();
}
