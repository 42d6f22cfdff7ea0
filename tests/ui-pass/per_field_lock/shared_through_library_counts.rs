//! `rc = ..` shares a `#[per_field_lock]` object through the library's counts: PEP 703's object
//! model (a lock per field, biased counts), the same with atomic counts, and an immortal one.
use gilkit::per_field_lock;
use gilkit::refcount::{AtomicRc, Mode};

#[per_field_lock(rc = biased)]
pub struct Biased {
    pub hits: u64,
    #[field(rw)]
    pub log: Vec<String>,
}

#[per_field_lock(rc = atomic, into_handle = share)]
pub struct Atomic<T: Send> {
    pub value: T,
}

#[per_field_lock(rc = immortal)]
pub struct Config {
    pub level: u8,
}

/// A raw identifier names the same counts.
#[per_field_lock(rc = r#biased)]
pub struct Raw {
    pub n: u8,
}

fn main() {
    let biased = Biased::new(0, Vec::new()).into_handle();
    assert_eq!(AtomicRc::mode(&biased), Mode::Biased);
    let local = AtomicRc::to_local(&biased).unwrap(); // the owner's `Rc`-cost handle
    let sent = biased.clone();
    std::thread::spawn(move || {
        *sent.hits().lock() += 1;
        sent.log().write().push("other".into());
    })
    .join()
    .unwrap();
    *local.hits().lock() += 1;
    assert_eq!(*biased.hits().lock(), 2);
    assert_eq!(biased.log().read().len(), 1);

    let atomic: AtomicRc<Atomic<String>> = Atomic::new(String::new()).share();
    assert_eq!(AtomicRc::mode(&atomic), Mode::Atomic);
    atomic.value().lock().push('x');

    let config = Config::new(1).into_handle();
    assert_eq!(AtomicRc::mode(&config), Mode::Immortal);
    *config.level().lock() = 2;

    assert_eq!(AtomicRc::mode(&Raw::new(0).into_handle()), Mode::Biased);
}
