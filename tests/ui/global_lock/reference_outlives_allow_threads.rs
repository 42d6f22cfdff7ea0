#[gilkit::global_lock]
struct Counter {
    value: u64,
}

fn main() {
    let counter = Counter::new(1);
    gilkit::with_gil(|g| {
        let value = counter.value.get(g);
        g.allow_threads(|| std::thread::sleep(std::time::Duration::from_millis(1)));
        println!("{value}");
    });
}
