//! Two threads transfer money between two accounts in opposite directions.
//!
//! 1. **Naive per-field locking**: each thread locks its `from` balance, then its `to` balance.
//!    Once both hold their first lock, each waits for the other's: the classic deadlock. The
//!    example never hangs:
//!    - with the lock-order validator (debug builds, or `--features lock-order-validation`), each
//!      thread panics before it blocks, with a report that names the lock class and both call
//!      sites; the example catches the panics and prints the reports;
//!    - without it (release builds), the second lock is taken with a timeout, and both timeouts
//!      expire: that is the deadlock, seen from the inside.
//! 2. **The ordered multi-lock** (`gilkit::field_lock::lock_fields`): both threads take both balances
//!    in one global order (by address), whatever order they name them in. It finishes, and the sum
//!    of the balances is conserved.
//!
//! Run: `cargo run --example deadlock` (validator reports) or
//! `cargo run --release --example deadlock` (timeouts).

use std::panic;
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use gilkit::field_lock::{lock_fields, VALIDATION_ENABLED};
use gilkit::per_field_lock;

/// A bank account with its balance behind its own lock.
#[per_field_lock]
struct Account {
    balance: i64,
    #[field(no_lock)]
    name: &'static str,
}

/// How long the naive transfer waits for its second lock before it calls it a deadlock.
const PATIENCE: Duration = Duration::from_millis(200);

/// The naive transfer: the `from` lock, then the `to` lock, in the caller's order.
fn naive_transfer(from: &Account, to: &Account, amount: i64, both_hold_one: &Barrier) -> String {
    let mut from_balance = from.balance().lock();
    both_hold_one.wait();
    if let Some(mut to_balance) = to.balance().try_lock_for(PATIENCE) {
        *from_balance -= amount;
        *to_balance += amount;
        return format!("moved {amount} from {} to {}", from.name, to.name);
    }
    // Keep holding ours a little longer, so that the other thread's wait expires too.
    thread::sleep(PATIENCE);
    format!(
        "holding {}'s balance, waited {PATIENCE:?} for {}'s: deadlock (the other thread holds it \
         and waits for ours)",
        from.name, to.name
    )
}

fn naive(a: &Account, b: &Account) {
    println!("1. naive per-field locking (validator compiled in: {VALIDATION_ENABLED})");
    let barrier = Barrier::new(2);
    // The validator's panics are caught and printed below; keep the default hook quiet meanwhile.
    let hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let outcomes: Vec<_> = thread::scope(|s| {
        let threads = [(a, b, 10), (b, a, 20)].map(|(from, to, amount)| {
            let barrier = &barrier;
            s.spawn(move || naive_transfer(from, to, amount, barrier))
        });
        threads
            .map(thread::ScopedJoinHandle::join)
            .into_iter()
            .collect()
    });
    panic::set_hook(hook);
    for (i, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Ok(line) => println!("   thread {i}: {line}"),
            Err(payload) => {
                let report = payload
                    .downcast_ref::<String>()
                    .map_or("(no message)", String::as_str);
                println!("   thread {i} stopped by the validator:\n   {report}");
            }
        }
    }
}

fn ordered(a: &Account, b: &Account) {
    const TRANSFERS: i64 = 100_000;
    println!("2. the ordered multi-lock, {TRANSFERS} transfers each way");
    let start = Instant::now();
    thread::scope(|s| {
        for (from, to) in [(a, b), (b, a)] {
            s.spawn(move || {
                for i in 0..TRANSFERS {
                    let (mut from, mut to) = lock_fields((from.balance(), to.balance()));
                    *from -= i % 7;
                    *to += i % 7;
                }
            });
        }
    });
    let (a_balance, b_balance) = lock_fields((a.balance(), b.balance()));
    println!(
        "   finished in {:?}: {} has {}, {} has {}, sum {}",
        start.elapsed(),
        a.name,
        *a_balance,
        b.name,
        *b_balance,
        *a_balance + *b_balance
    );
    assert_eq!(*a_balance + *b_balance, 2_000, "the sum is conserved");
}

fn main() {
    let a = Account::new(1_000, "alice");
    let b = Account::new(1_000, "bob");
    naive(&a, &b);
    ordered(&a, &b);
}
