// Row 1: inside the module, the narrowed `new` and `fields_mut` are usable; `into_handle` keeps
// the struct's visibility (it hands out no field), and so do public-only structs.
#![deny(warnings)]

pub mod bank {
    #[gilkit::global_lock]
    pub struct Account {
        pub balance: i64,
        audited: bool,
    }

    pub fn open() -> Account {
        let a = Account::new(0, false);
        gilkit::with_gil(|g| *a.fields_mut(g).1 = true);
        a
    }

    pub mod branch {
        #[gilkit::global_lock]
        #[non_exhaustive]
        pub struct Public {
            pub a: u8,
            pub(crate) b: u8,
            pub(super) c: u8,
        }

        // Two nested paths: the constructor takes the inner one, `pub(in crate::bank::branch)`.
        // (Two paths that do not nest, such as `pub(super)` and `pub(in crate::bank)` here,
        // make it private: the attribute cannot tell that they name one module.)
        #[gilkit::global_lock]
        pub struct Nested {
            pub(in crate::bank) a: u8,
            pub(in crate::bank::branch) b: u8,
        }

        pub fn nested() -> Nested {
            Nested::new(1, 2)
        }

        #[gilkit::per_field_lock]
        pub struct Teller {
            pub(crate) till: u64,
            pub(super) name: String,
        }
    }

    pub fn build() -> (branch::Public, branch::Teller, branch::Nested) {
        (
            branch::Public::new(1, 2, 3),
            branch::Teller::new(4, String::new()),
            branch::nested(),
        )
    }
}

#[gilkit::global_lock]
#[non_exhaustive]
pub struct Open {
    pub a: u8,
}

fn main() {
    let a = bank::open().into_handle();
    gilkit::with_gil(|g| assert_eq!(*a.balance.get(g), 0));
    let (p, t, _) = bank::build();
    gilkit::with_gil(|g| assert_eq!(*p.a.get(g), 1));
    assert_eq!(*t.till().lock(), 4);
    let o = Open::new(1);
    gilkit::with_gil(|g| *o.fields_mut(g).0 += 1);
}
