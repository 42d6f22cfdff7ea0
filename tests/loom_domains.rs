//! loom models of GIL domains. Each model has its negative control beside it: the same scenario
//! with the protection removed, which loom must catch.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test --release --target-dir target/loom --test
//! loom_domains` (the test command does).
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;

use gilkit::__private::hooks;
use gilkit::{DefaultDomain, Domain, Gil, GilCell};

gilkit::domain!(Physics);

/// A cell in each domain.
struct Pair {
    frames: GilCell<u32>,
    steps: GilCell<u32, Physics>,
}

impl Pair {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            frames: GilCell::new(0),
            steps: GilCell::new_in(0),
        })
    }
}

/// Two threads take both domains, naming them in opposite orders: `with_gils` takes them in one
/// fixed order, so in every interleaving both finish, and neither update is lost.
#[test]
fn two_domains_named_in_opposite_orders_never_deadlock() {
    loom::model(|| {
        let pair = Pair::new();
        let other = pair.clone();
        let t = thread::spawn(move || {
            gilkit::with_gils(|g: &mut Gil, p: &mut Gil<Physics>| {
                *other.frames.get_mut(g) += 1;
                *other.steps.get_mut(p) += 1;
            });
        });
        gilkit::with_gils(|p: &mut Gil<Physics>, g: &mut Gil| {
            *pair.frames.get_mut(g) += 1;
            *pair.steps.get_mut(p) += 1;
        });
        t.join().unwrap();
        gilkit::with_gils(|g: &mut Gil, p: &mut Gil<Physics>| {
            assert_eq!((*pair.frames.get(g), *pair.steps.get(p)), (2, 2));
        });
    });
}

/// The nested acquisitions that `Domain::acquire` refuses, done anyway, in opposite orders: loom
/// finds the interleaving where each thread holds one domain and waits for the other.
#[test]
#[should_panic = "deadlock"]
fn control_nested_acquisitions_in_opposite_orders_deadlock() {
    loom::model(|| {
        let t = thread::spawn(|| {
            let _g = gilkit::acquire();
            let _p = hooks::acquire_nested::<Physics>();
        });
        let physics = Physics::acquire();
        let default = hooks::acquire_nested::<DefaultDomain>();
        drop((default, physics));
        t.join().unwrap();
    });
}

/// A thread that holds one domain waits for a thread that takes the other: the domains are two
/// locks, so it always finishes.
#[test]
fn a_holder_of_one_domain_never_blocks_another() {
    loom::model(|| {
        let pair = Pair::new();
        Physics::with_gil(|p| {
            let other = pair.clone();
            let t = thread::spawn(move || gilkit::with_gil(|g| *other.frames.get_mut(g) += 1));
            t.join().unwrap(); // waits while holding `Physics`
            *pair.steps.get_mut(p) += 1;
        });
        assert_eq!(gilkit::with_gil(|g| *pair.frames.get(g)), 1);
    });
}

/// The same scenario in one domain: the holder waits for a thread that waits for it. (No data:
/// nothing of loom's may be dropped while the reported deadlock unwinds.)
#[test]
#[should_panic = "deadlock"]
fn control_a_holder_of_the_same_domain_blocks_it() {
    loom::model(|| {
        Physics::with_gil(|_p| {
            let t = thread::spawn(|| Physics::with_gil(|_p| {}));
            t.join().unwrap();
        });
    });
}
