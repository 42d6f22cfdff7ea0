//! A program a new user writes from gilkit's documentation alone, kept as a test that the
//! documented way works for a binary crate:
//!
//! - a `#[global_lock]` struct with a `#[cfg]`-gated field (the `audit` feature);
//! - a `#[per_field_lock]` struct under `#[allow(dead_code)]`, some of whose generated items
//!   this program never uses;
//! - a `static` protected value, declared with `gilkit::model::statics!` so that it also
//!   compiles under `--cfg loom`;
//! - loom tests in the binary itself.
//!
//! Run it with `cargo run -p gilkit-user-program [--features audit]`; model-check it with
//! `RUSTFLAGS="--cfg loom" cargo test --release --target-dir target/loom -p gilkit-user-program
//! --bin user_program`. The test command does all three.

use gilkit::field_lock::lock_fields;
use gilkit::{global_lock, per_field_lock, GilCell};

gilkit::model::statics! {
    /// Deposits made, counted under the GIL.
    static DEPOSITS: GilCell<u64> = GilCell::new(0);
    /// The currency, one of two by configuration (a `#[cfg]` on each alternative).
    #[cfg(feature = "audit")]
    static CURRENCY: GilCell<&'static str> = GilCell::new("EUR (audited)");
    #[cfg(not(feature = "audit"))]
    static CURRENCY: GilCell<&'static str> = GilCell::new("EUR");
}

/// A bank account behind the GIL; its audit trail exists only with the `audit` feature.
#[global_lock]
pub struct Account {
    /// The balance, in cents.
    pub balance: i64,
    /// One line per deposit.
    #[cfg(feature = "audit")]
    pub audit: Vec<String>,
}

/// Running totals, a lock per field. `history` is never read here: the allow covers its
/// accessor too.
#[allow(dead_code)]
#[per_field_lock]
struct Totals {
    sum: i64,
    count: u64,
    #[field(rw)]
    history: Vec<i64>,
}

/// Opens an account in either configuration.
fn open(balance: i64) -> Account {
    #[cfg(feature = "audit")]
    let account = Account::new(balance, Vec::new());
    #[cfg(not(feature = "audit"))]
    let account = Account::new(balance);
    account
}

/// Deposits `amount` into `account` under the GIL, and adds it to `totals` under their locks.
fn deposit(account: &Account, totals: &Totals, amount: i64) {
    gilkit::with_gil(|g| {
        *account.balance.get_mut(g) += amount;
        #[cfg(feature = "audit")]
        account.audit.get_mut(g).push(format!("+{amount}"));
        *DEPOSITS.get_mut(g) += 1;
    });
    let (mut sum, mut count) = lock_fields((totals.sum(), totals.count()));
    *sum += amount;
    *count += 1;
}

fn main() {
    let account = open(0).into_handle();
    let totals = Totals::new(0, 0, Vec::new()).into_handle();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                for _ in 0..1000 {
                    deposit(&account, &totals, 5);
                }
            });
        }
    });
    let (balance, deposits) = gilkit::with_gil(|g| (*account.balance.get(g), *DEPOSITS.get(g)));
    let (sum, count) = (*totals.sum().lock(), *totals.count().lock());
    assert_eq!(
        (balance, deposits, sum, count),
        (10_000, 2000, 10_000, 2000)
    );
    #[cfg(feature = "audit")]
    gilkit::with_gil(|g| assert_eq!(account.audit.get(g).len(), 2000));
    let currency = gilkit::with_gil(|g| *CURRENCY.get(g));
    println!("balance {balance} {currency} after {deposits} deposits; totals {sum} over {count}");
}

#[cfg(test)]
mod tests {
    use gilkit::model::{self, sync::Arc, thread};

    use super::{deposit, open, Totals, DEPOSITS};

    /// Two threads deposit at once: nothing is lost, in the account, the static or the totals.
    /// Under loom, `DEPOSITS` starts from zero in every execution (that is what `statics!` is
    /// for); in the stress run of an ordinary build it is reset by hand.
    #[test]
    fn concurrent_deposits_are_all_counted() {
        model::model(|| {
            #[cfg(not(loom))]
            gilkit::with_gil(|g| *DEPOSITS.get_mut(g) = 0);
            let account = Arc::new(open(0));
            let totals = Arc::new(Totals::new(0, 0, Vec::new()));
            let (a, t) = (account.clone(), totals.clone());
            let other = thread::spawn(move || deposit(&a, &t, 2));
            deposit(&account, &totals, 3);
            other.join().unwrap();
            gilkit::with_gil(|g| {
                assert_eq!(*account.balance.get(g), 5);
                assert_eq!(*DEPOSITS.get(g), 2);
            });
            assert_eq!((*totals.sum().lock(), *totals.count().lock()), (5, 2));
        });
    }

    /// The control for `statics!`: a plain `static` that loom does not re-create keeps counting
    /// across executions, so the same kind of assertion fails in the second one.
    #[cfg(loom)]
    #[test]
    #[should_panic(expected = "left: 2")]
    fn control_a_plain_static_keeps_counting_across_executions() {
        use gilkit::model::sync::atomic::AtomicUsize;
        use std::sync::atomic::{AtomicU64, Ordering};
        static PLAIN: AtomicU64 = AtomicU64::new(0);
        model::model(|| {
            // Two threads on one loom atomic: more than one execution.
            let shared = Arc::new(AtomicUsize::new(0));
            let other = shared.clone();
            let t = thread::spawn(move || other.fetch_add(1, Ordering::Relaxed));
            shared.fetch_add(1, Ordering::Relaxed);
            t.join().unwrap();
            PLAIN.fetch_add(1, Ordering::Relaxed);
            assert_eq!(PLAIN.load(Ordering::Relaxed), 1);
        });
    }
}
