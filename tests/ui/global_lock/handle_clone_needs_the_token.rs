#[gilkit::global_lock]
struct Counter {
    value: u64,
}

fn main() {
    let handle = Counter::new(1).into_handle();
    let _other = handle.clone();
}
