use gilkit::per_field_lock;
use gilkit::refcount::AtomicRc;

#[per_field_lock(rc = biased)]
struct Counter {
    value: u64,
}

fn main() {
    let shared = Counter::new(0).into_handle();
    let local = AtomicRc::to_local(&shared).unwrap();
    // The owner's `LocalRc` counts without atomics: it cannot leave its thread.
    std::thread::spawn(move || *local.value().lock() += 1);
}
