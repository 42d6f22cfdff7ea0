// Row 12: an accessor named `new` or `into_handle` would clash with the generated methods; the
// error names the option that renames them.
#[gilkit::per_field_lock]
struct Node {
    new: bool,
    into_handle: u8,
}

#[gilkit::per_field_lock(constructor = share, into_handle = share)]
struct Twice {
    value: u8,
}

fn main() {}
