// Row 1: `new` and `fields_mut` reach every field, so they are no more visible than the most
// private one; outside `bank`, neither can set `audited`.
mod bank {
    #[gilkit::global_lock]
    pub struct Account {
        pub balance: i64,
        audited: bool,
    }

    pub mod vault {
        #[gilkit::global_lock]
        pub struct Ledger {
            pub total: i64,
            pub(super) note: String,
        }

        pub fn open() -> Ledger {
            Ledger::new(0, String::new())
        }
    }

    pub fn touch(ledger: &vault::Ledger) {
        // `note` is visible in `bank`, and so is `fields_mut`.
        gilkit::with_gil(|g| *ledger.fields_mut(g).0 += 1);
    }
}

fn main() {
    let a = bank::Account::new(1, true);
    gilkit::with_gil(|g| {
        *a.fields_mut(g).1 = false;
    });
    let l = bank::vault::open();
    bank::touch(&l);
    gilkit::with_gil(|g| *l.fields_mut(g).0 += 1);
    let _ = bank::vault::Ledger::new(0, String::new());
}
