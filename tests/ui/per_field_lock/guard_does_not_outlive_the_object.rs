use gilkit::per_field_lock;

#[per_field_lock]
struct Account {
    balance: i64,
}

fn main() {
    let guard = {
        let a = Account::new(0);
        a.balance().lock()
    };
    drop(guard);
}
