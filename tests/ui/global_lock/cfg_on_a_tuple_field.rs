// `#[cfg]` on a field of a tuple struct would renumber the fields after it.
#[gilkit::global_lock]
struct Pair(#[cfg(all())] u8, u64);

fn main() {}
