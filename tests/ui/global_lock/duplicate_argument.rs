#[gilkit::global_lock(constructor = create, constructor = make)]
struct Counter {
    value: u64,
}

fn main() {}
