#[gilkit::global_lock]
struct Counter {
    value: u64,
}

fn main() {
    let counter = Counter::new(1);
    gilkit::with_gil(|g| {
        let shared: &gilkit::Gil = g;
        *counter.value.get_mut(shared) += 1;
    });
}
