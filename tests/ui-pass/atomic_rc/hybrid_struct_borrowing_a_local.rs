//! A hybrid object is dropped where its last handle is, as an atomic one: it may borrow, also
//! from a scope whose threads share it.

#[gilkit::atomic_rc(hybrid)]
struct View<'a> {
    text: &'a str,
}

fn main() {
    let text = String::from("borrowed");
    let view = View { text: &text }.into_handle();
    let local = gilkit::refcount::AtomicRc::to_local(&view).unwrap();
    std::thread::scope(|s| {
        let there = view.clone();
        s.spawn(move || assert_eq!(there.text, "borrowed"));
    });
    drop(view);
    assert_eq!(local.clone().text, "borrowed");
    drop(local);
    assert_eq!(gilkit::stats::live::<View<'_>>(), 0);
}
