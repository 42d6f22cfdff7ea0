//! `rc = atomic` on a type that borrows: what the docs ("`biased` and `immortal` need a type
//! that borrows nothing") and the error of `rc = biased` on a borrowing type ("use
//! `rc = atomic`") promise. An atomic object is dropped where its last handle is, as an `Arc`'s,
//! so the handle only has to stay within the borrow, as `AtomicRc::new`'s does.
use gilkit::per_field_lock;

#[per_field_lock(rc = atomic)]
struct Tagged<'a> {
    name: &'a str,
    hits: u64,
}

fn main() {
    let name = String::from("borrowed");
    let tagged = Tagged::new(&name, 0).into_handle();
    let sent = tagged.clone();
    std::thread::scope(|s| {
        s.spawn(move || *sent.hits().lock() += 1);
    });
    assert_eq!(*tagged.hits().lock(), 1);
    assert_eq!(*tagged.name().lock(), "borrowed");
}
