#[gilkit::atomic_rc(hybrid)]
struct Shared {
    value: u32,
}

fn main() {
    let shared = Shared { value: 1 }.into_handle();
    let local = gilkit::refcount::AtomicRc::to_local(&shared).unwrap();
    std::thread::spawn(move || assert_eq!(local.value, 1));
}
