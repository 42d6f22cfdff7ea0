#[gil::global_lock]
struct Counter {
    value: u64,
}

fn main() {
    let counter = Counter::new(1);
    gil::with_gil(|g| {
        let shared: &gil::Gil = g;
        *counter.value.get_mut(shared) += 1;
    });
}
