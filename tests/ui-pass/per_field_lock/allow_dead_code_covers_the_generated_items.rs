// `#[allow(dead_code)]` on the struct covers what the attribute generates for it (constructor,
// `into_handle`, accessors of private fields): without it, each would be an error here.
#![deny(dead_code)]

#[allow(dead_code)]
#[gilkit::per_field_lock]
struct Unused {
    count: u32,
    #[field(rw)]
    log: Vec<u8>,
}

#[allow(dead_code)]
#[gilkit::global_lock]
struct UnusedToo {
    count: u32,
}

#[allow(dead_code)]
#[gilkit::atomic_rc]
struct UnusedThree {
    count: u32,
}

fn main() {}
