// Row 1: a public struct with public fields keeps every generated method public, in another
// crate too (`tests/upstream`).
#![deny(warnings)]

use gil_test_upstream::{Open, OpenLocked};

fn main() {
    let open = Open::new(1);
    gilkit::with_gil(|g| *open.fields_mut(g).0 += 1);
    let open = open.into_handle();
    gilkit::with_gil(|g| assert_eq!(*open.a.get(g), 2));
    let locked = OpenLocked::new(3).into_handle();
    *locked.a().lock() += 1;
    assert_eq!(*locked.a().lock(), 4);
    let (_, sealed, shared) = gil_test_upstream::sealed();
    assert_eq!(*sealed.a().lock(), 2);
    assert_eq!(shared.into_handle().a, 3);
}
