use gilkit::field_lock::Lockable;
use gilkit::per_field_lock;

#[per_field_lock]
struct Account {
    balance: i64,
}

fn main() {
    let (a, b) = (Account::new(0), Account::new(0));
    // A group of its own, as if both were taken by one `lock_fields` call: the validator would
    // let two locks of class `Account.balance` nest.
    let at = std::panic::Location::caller();
    let first = a.balance().__lock(u64::MAX, at);
    let second = b.balance().__lock(u64::MAX, at);
    drop((first, second));
}
