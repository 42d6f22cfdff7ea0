#[gilkit::global_lock]
struct Raw(u64, *mut u8);

fn main() {}
