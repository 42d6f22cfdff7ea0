// The twin of `fields = ..` gives each field the field's own visibility: outside the module, a
// struct with a private field cannot be built by name (as `new` is private there too).
mod bank {
    #[gilkit::per_field_lock(fields = AccountFields)]
    pub struct Account {
        pub balance: i64,
        audited: bool,
    }

    pub fn open() -> Account {
        AccountFields { balance: 0, audited: false }.into()
    }
}

fn main() {
    let _ = bank::open();
    let _ = bank::Account::from(bank::AccountFields { balance: 1, audited: true });
}
