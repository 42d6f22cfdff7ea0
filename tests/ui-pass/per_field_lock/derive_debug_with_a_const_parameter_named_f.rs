// The generated `Debug` impl's own names (`__gil_formatter`, `__gil_builder`) do not meet const
// parameters named like std's derive's (`f`), which would turn a binding into a constant
// pattern. And a padded struct shows its fields as an unpadded one does.
#[gilkit::per_field_lock]
#[derive(Debug)]
pub struct Named<const f: usize, const builder: usize> {
    a: [u8; f],
    #[field(rw)]
    b: [u8; builder],
}

#[gilkit::per_field_lock(padded)]
#[derive(Debug)]
pub struct Padded {
    a: u8,
    #[field(rw)]
    b: u8,
}

fn main() {
    let n: Named<1, 2> = Named::new([1], [2, 3]);
    assert_eq!(format!("{n:?}"), "Named { a: FieldLock([1]), b: RwFieldLock([2, 3]) }");
    let p = Padded::new(1, 2);
    assert_eq!(format!("{p:?}"), "Padded { a: FieldLock(1), b: RwFieldLock(2) }");
}
