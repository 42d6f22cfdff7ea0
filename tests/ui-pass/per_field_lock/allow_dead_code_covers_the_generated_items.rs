// `#[allow(dead_code)]` on the struct covers what the attribute generates for it and the program
// does not use (constructor, `into_handle`, `fields_mut`, accessors of private fields), also
// inside `#[cfg_attr(..)]`: without it, each would be an error here. Each struct is used, so that
// rustc looks at its generated items one by one (an unused struct hides its methods' warnings
// behind its own). An `#[expect(dead_code)]` stays on the struct alone: here the struct is never
// used, which fulfils it (were it forwarded as an allow, the generated constructor would make the
// struct look used, and the expectation would go unfulfilled).
#![deny(dead_code, unfulfilled_lint_expectations)]

#[allow(dead_code)]
#[gilkit::per_field_lock]
struct Counters {
    count: u32,
    #[field(rw)]
    log: Vec<u8>,
}

#[expect(dead_code, reason = "never used")]
#[gilkit::per_field_lock]
struct Expected {
    count: u32,
    log: Vec<u8>,
}

#[cfg_attr(all(), allow(dead_code))]
#[gilkit::global_lock]
struct Global {
    count: u32,
}

#[allow(dead_code)]
#[gilkit::atomic_rc]
struct Shared {
    count: u32,
}

fn main() {
    let counters = Counters::new(1, Vec::new()).into_handle();
    assert_eq!(*counters.count().lock(), 1);
    let global = Global::new(3).into_handle();
    gilkit::with_gil(|g| assert_eq!(*global.count.get(g), 3));
    let shared = Shared { count: 4 };
    let _ = Shared::into_handle;
    assert_eq!(shared.count, 4);
}
