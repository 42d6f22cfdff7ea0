// Row 1: the constructor sets every field, so it is no more visible than the most private one;
// the accessors keep each field's own visibility.
mod bank {
    #[gilkit::per_field_lock]
    pub struct Account {
        pub balance: i64,
        audited: bool,
    }

    pub fn open() -> Account {
        Account::new(0, false)
    }
}

fn main() {
    let a = bank::Account::new(1, true);
    let b = bank::open();
    *b.balance().lock() += 1;
    let _ = b.audited();
}
