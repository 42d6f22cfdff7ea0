// Row 15: a derive that reads every field cannot, since the fields sit behind the GIL.
#[gilkit::global_lock]
#[derive(Debug, Clone, PartialEq)]
struct Counter {
    hits: u64,
}

#[gilkit::global_lock]
#[cfg_attr(all(), derive(Hash))]
struct Later(u64);

fn main() {}
