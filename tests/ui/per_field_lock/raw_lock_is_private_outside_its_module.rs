// The raw `FieldLock` of a field is private to the struct's module, whatever the field's own
// visibility: outside it, the field is reached through its accessor, which carries the lock class
// (rustc points there: "a method `balance` also exists").
mod bank {
    #[gilkit::per_field_lock]
    pub struct Account {
        pub balance: i64,
        #[field(rw)]
        pub history: Vec<i64>,
        #[field(no_lock)]
        pub owner: String,
    }

    pub fn inside(account: &Account) -> i64 {
        // Inside the module, the lock is still a field.
        let _ = &account.balance;
        *account.balance().lock()
    }
}

fn main() {
    let account = bank::Account::new(1, Vec::new(), "alice".into());
    let _ = bank::inside(&account);
    let _ = &account.owner; // a `no_lock` field keeps its visibility
    *account.balance().lock() += 1;
    let _ = account.balance.lock();
    let _ = account.history.read();
}
