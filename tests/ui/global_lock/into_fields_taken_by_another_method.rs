// `fields = ..` generates `into_fields`: another generated method renamed to `into_fields` is an
// error at that name, which says which option renames it (not rustc's "duplicate definitions" at
// the whole attribute), and so is a twin named like the struct itself.
#[gilkit::global_lock(fields = AccountFields, constructor = into_fields)]
pub struct Account {
    pub balance: i64,
}

#[gilkit::global_lock(fields = PointFields, debug = into_fields)]
pub struct Point {
    pub x: i64,
}

#[gilkit::global_lock(fields = Pair)]
pub struct Pair {
    pub a: u8,
}

fn main() {}
