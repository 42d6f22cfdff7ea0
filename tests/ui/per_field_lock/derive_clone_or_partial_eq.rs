// Row 15: a derive that reads every field cannot, since each field sits behind its own lock.
#[gilkit::per_field_lock]
#[derive(Debug, Default, Clone, core::cmp::PartialEq, PartialOrd)]
struct Counter {
    hits: u64,
}

fn main() {}
