#[gilkit::global_lock]
struct Counter {
    value: u64,
}

fn main() {
    let counter = Counter::new(1);
    let guard = gilkit::acquire();
    let value = counter.value.get(&guard);
    drop(guard); // the GIL is released here
    println!("{value}");
}
