// A field removed by `#[cfg_attr(predicate, cfg(..))]` (valid Rust: the `cfg` applies where the
// predicate holds) takes its lock, its constructor parameter and its accessor with it.
#[gilkit::per_field_lock(fields = GoneFields)]
#[derive(Debug)]
pub struct Gone {
    kept: u8,
    #[cfg_attr(all(), cfg(any()))]
    removed: u8,
    #[cfg_attr(any(), cfg(any()))]
    still_here: u8,
    #[cfg_attr(all(), cfg_attr(all(), cfg(any())))]
    removed_twice: u8,
}

fn main() {
    let g = Gone::new(1, 3);
    assert_eq!(*g.kept().lock() + *g.still_here().lock(), 4);
    assert_eq!(format!("{g:?}"), "Gone { kept: FieldLock(1), still_here: FieldLock(3) }");
    let GoneFields { kept, still_here } = g.into_fields();
    assert_eq!((kept, still_here), (1, 3));
}
