// Row 12: two generated methods renamed to one name.
#[gilkit::global_lock(constructor = make, fields_mut = make)]
struct Twice {
    value: u8,
}

fn main() {}
