// The twin that `into_fields` returns gives each field the field's own visibility: outside the
// module, a private field stays out of reach.
mod bank {
    #[gilkit::global_lock(fields = AccountFields)]
    pub struct Account {
        pub balance: i64,
        audited: bool,
    }

    pub fn open() -> Account {
        AccountFields { balance: 0, audited: false }.into()
    }
}

fn main() {
    let fields = bank::open().into_fields();
    let _ = fields.balance;
    let _ = fields.audited;
}
