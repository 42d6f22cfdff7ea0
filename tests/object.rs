//! `gilkit::object` under contention: handles shared, locked, moved and dropped on several
//! threads at once. They pass on their own; their real check is Miri (`bash scripts/miri.sh`)
//! and the thread sanitizer (`bash scripts/tsan.sh`); `GIL_STRESS_ITERS` / 10 sets the rounds per
//! thread. They live here rather than among the
//! runtime's unit tests because contended `parking_lot` locks need Miri's permissive provenance.

use gilkit::object::{Atomic, Biased, Context, GlobalLock, Locked, Shared, Strategy};

mod common;

/// Three threads share, lock, move and drop handles to a few objects at once, some of the
/// drops outside any context (deferred under the GIL, handed to the owner under `Biased`), with
/// checkpoints and detaches between.
fn handles_churned_on_three_threads<S: Strategy>() {
    type Bag<S> = Shared<S, Locked<S, Vec<Shared<S, Locked<S, u64>>>>>;
    let iters = common::stress_iters().map_or(if cfg!(miri) { 5 } else { 200 }, |n| n / 10) as u64;
    let bag: Bag<S> = Shared::new(Locked::new(Vec::new()));
    let counter = Shared::<S, Locked<S, u64>>::new(Locked::new(0));
    let workers: Vec<_> = (0..3)
        .map(|_| {
            let (bag, counter) =
                Context::<S>::enter(|cx| (bag.share(cx.token()), counter.share(cx.token())));
            std::thread::spawn(move || {
                let mut outside = Vec::new();
                Context::<S>::enter(|cx| {
                    for i in 0..iters {
                        let item = counter.share(cx.token());
                        bag.with(cx, |items, _| items.push(item));
                        // Every thread pops only after it pushed: the bag is never empty here.
                        let taken = bag.with(cx, |items, _| items.pop()).expect("an item");
                        taken.with(cx, |n, _| *n += 1);
                        if i % 2 == 0 {
                            outside.push(taken);
                        }
                        cx.checkpoint();
                        if i % 16 == 0 {
                            cx.detach(|| outside.clear());
                        }
                    }
                });
                drop(outside);
            })
        })
        .collect();
    Context::<S>::enter(|cx| {
        cx.detach(|| {
            for worker in workers {
                worker.join().unwrap();
            }
        });
        assert_eq!(counter.with(cx, |n, _| *n), 3 * iters);
        bag.with(cx, |items, _| items.clear());
    });
}

#[test]
fn handles_churned_on_three_threads_under_the_gil() {
    handles_churned_on_three_threads::<GlobalLock>();
}

#[test]
fn handles_churned_on_three_threads_biased() {
    handles_churned_on_three_threads::<Biased>();
}

#[test]
fn handles_churned_on_three_threads_atomic() {
    handles_churned_on_three_threads::<Atomic>();
}
