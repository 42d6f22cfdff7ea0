//! A short tour of the GIL: acquire it, mutate two objects, share handles across threads, and
//! release it around a sleep while another thread runs.
//!
//! Run with `cargo run --example gil_basics`.

use std::thread;
use std::time::Duration;

use gilkit::{global_lock, GilRc};

/// A bank account; `#[global_lock]` puts each field behind the GIL.
#[global_lock]
#[derive(Debug)]
pub struct Account {
    /// The balance, in cents.
    pub balance: i64,
    /// What happened to this account.
    pub history: Vec<String>,
}

fn main() {
    let alice = Account::new(100, Vec::new()).into_handle();
    let bob = Account::new(20, Vec::new()).into_handle();

    // 1. Acquire the GIL and mutate two objects. The token `g` is the proof; access is free.
    gilkit::with_gil(|g| {
        let (from, to) = g.get_mut2(&alice.balance, &bob.balance);
        *from -= 30;
        *to += 30;
        alice.history.get_mut(g).push("sent 30 to bob".into());
        bob.history.get_mut(g).push("got 30 from alice".into());
        println!(
            "after the transfer: alice {} bob {}",
            alice.balance.get(g),
            bob.balance.get(g)
        );
    });

    // 2. Clone handles (that needs the token) and drop them on threads that never take the GIL:
    //    their decrefs wait in the pending pool until the next acquisition.
    let clones: Vec<GilRc<Account>> =
        gilkit::with_gil(|g| (0..4).map(|_| alice.clone_ref(g)).collect());
    thread::scope(|s| {
        for handle in clones {
            s.spawn(move || drop(handle));
        }
    });
    gilkit::with_gil(|g| {
        println!(
            "handles to alice after the drain: {} (deferred decrefs drained so far: {})",
            GilRc::count(&alice, g),
            g.stats().deferred_decrefs_drained
        );
    });

    // 3. Release the GIL around a sleep: another thread takes it meanwhile.
    gilkit::with_gil(|g| {
        let other = {
            let bob = bob.clone_ref(g);
            thread::spawn(move || {
                gilkit::with_gil(|g| {
                    *bob.balance.get_mut(g) += 1;
                    bob.history
                        .get_mut(g)
                        .push("interest, paid while alice slept".into());
                });
            })
        };
        g.allow_threads(|| {
            thread::sleep(Duration::from_millis(20));
            other
                .join()
                .expect("the other thread ran while the GIL was released");
        });
        println!("bob's history: {:?}", bob.history.get(g));
        let stats = g.stats();
        println!(
            "GIL stats: {} acquisitions, {} contended, waited {:?}, {} forced switches",
            stats.acquisitions, stats.contended_acquisitions, stats.wait, stats.forced_switches
        );
    });
}
