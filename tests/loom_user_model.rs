//! Model-checking your own annotated type, as a user of `gilkit` would.
//!
//! `Stock` sells its last item twice when two threads reserve at once: `reserve_racy` checks
//! `available` under one lock, lets go, and then decrements under another (check-then-act across
//! two field locks). Every ordinary test on one thread passes; loom finds the interleaving that
//! oversells. `reserve` takes both fields in one `lock_fields` call and is correct.
//!
//! `gilkit::model` is `loom::model` under `--cfg loom`; without it, the same test is a bounded stress
//! run on real threads, so this file runs in both builds (the control only under loom, the one
//! checker sure to find the race). Run it under loom with
//! `RUSTFLAGS="--cfg loom" cargo test --release --target-dir target/loom --test loom_user_model`.

use gilkit::field_lock::lock_fields;
use gilkit::model::{model, sync::Arc, thread};
use gilkit::per_field_lock;

/// Items in stock, and items promised to buyers.
#[per_field_lock]
pub struct Stock {
    /// Items that can still be sold.
    pub available: i64,
    /// Items promised to buyers.
    pub reserved: i64,
}

impl Stock {
    /// The planted bug: the check and the act hold different locks at different times.
    pub fn reserve_racy(&self) -> bool {
        if *self.available().lock() > 0 {
            *self.available().lock() -= 1;
            *self.reserved().lock() += 1;
            true
        } else {
            false
        }
    }

    /// The fix: check and act under both locks, taken together in declaration order.
    pub fn reserve(&self) -> bool {
        let (mut available, mut reserved) = lock_fields((self.available(), self.reserved()));
        if *available > 0 {
            *available -= 1;
            *reserved += 1;
            true
        } else {
            false
        }
    }
}

/// Two buyers race for the last item; exactly one gets it, and nothing is oversold.
fn two_buyers_for_the_last_item(reserve: fn(&Stock) -> bool) {
    model(move || {
        let stock = Arc::new(Stock::new(1, 0));
        let other = {
            let stock = stock.clone();
            thread::spawn(move || reserve(&stock))
        };
        let mine = reserve(&stock);
        let theirs = other.join().unwrap();
        assert!(!(mine && theirs), "the last item was sold twice");
        assert!(*stock.available().lock() >= 0, "oversold");
        assert_eq!(*stock.available().lock() + *stock.reserved().lock(), 1);
    });
}

#[test]
fn reserving_under_both_locks_never_oversells() {
    two_buyers_for_the_last_item(Stock::reserve);
}

#[test]
#[cfg_attr(not(loom), ignore = "a stress run may miss the race; loom never does")]
#[should_panic = "the last item was sold twice"]
fn control_check_then_act_across_two_locks_oversells() {
    two_buyers_for_the_last_item(Stock::reserve_racy);
}
