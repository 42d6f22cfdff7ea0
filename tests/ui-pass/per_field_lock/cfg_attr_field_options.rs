// Row 2: `#[cfg_attr(predicate, field(...))]` is honoured: the field gets the lock of whichever
// configuration holds, and the other attributes of the `cfg_attr` stay on the field.
#![deny(warnings)]

#[gilkit::per_field_lock]
pub struct Point {
    #[cfg_attr(all(), field(rw))]
    pub y: u64,
    #[cfg_attr(any(), field(rw))]
    pub x: u64,
    #[cfg_attr(all(), field(no_lock), allow(unused))]
    pub id: u32,
    #[field(no_lock)]
    #[cfg_attr(any(), allow(unused))]
    pub z: u64,
}

fn main() {
    let p = Point::new(1, 2, 3, 4);
    assert_eq!(*p.y().read(), 1);
    *p.y().write() += 1;
    *p.x().lock() += 1;
    assert_eq!(p.id, 3);
    assert_eq!(p.z, 4);
    let (y, x) = gilkit::field_lock::lock_fields((p.y(), p.x()));
    assert_eq!((*y, *x), (2, 3));
}
