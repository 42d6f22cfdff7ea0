//! `rc = hybrid` drops the value where the last handle is, as `rc = atomic`: a borrowing type
//! may use it, and its owner thread counts in local handles.

#[gilkit::per_field_lock(rc = hybrid)]
struct Tally<'a> {
    label: &'a str,
    count: u64,
}

fn main() {
    let label = String::from("tally");
    let tally = Tally::new(&label, 0).into_handle();
    let local = gilkit::refcount::AtomicRc::to_local(&tally).expect("this thread made it");
    std::thread::scope(|s| {
        let there = gilkit::refcount::LocalRc::to_shared(&local);
        s.spawn(move || *there.count().lock() += 1);
    });
    *local.clone().count().lock() += 1;
    assert_eq!(*tally.count().lock(), 2);
    assert_eq!(*tally.label().lock(), "tally");
    drop((tally, local));
}
