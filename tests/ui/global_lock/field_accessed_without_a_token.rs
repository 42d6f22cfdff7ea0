#[gilkit::global_lock]
struct Counter {
    value: u64,
}

fn main() {
    let counter = Counter::new(1);
    let _: u64 = counter.value;
    let _ = counter.value.get();
}
