// Rows 13 and 14: constants, unit structs and modules named like the fields, the helper module
// or the lifetimes of the generated code change nothing.
#![deny(warnings)]
#![allow(non_upper_case_globals, non_camel_case_types)]

const balance: i64 = 0;
const _0: u8 = 0;
const gil: u8 = 0;
struct owner;

mod __fields {
    pub struct Thing(pub u8);
}
mod __gil_fields {}

#[gilkit::global_lock]
pub struct Account {
    pub balance: i64,
    pub owner: String,
}

#[gilkit::global_lock]
pub struct Tuple(pub u8, pub u16);

#[gilkit::per_field_lock]
pub struct Locked {
    pub balance: i64,
    pub owner: String,
}

#[gilkit::atomic_rc]
pub struct Shared {
    pub balance: i64,
    pub thing: __fields::Thing,
}

#[gilkit::global_lock]
pub struct Borrowing<'__gil, '__gil_1> {
    pub name: &'__gil str,
    pub other: &'__gil_1 str,
}

fn main() {
    let _ = (balance, _0, gil, owner);
    let a = Account::new(5, "me".to_owned());
    let t = Tuple::new(1, 2);
    let l = Locked::new(7, String::new());
    let s = Shared {
        balance: 1,
        thing: __fields::Thing(2),
    }
    .into_handle();
    let b = Borrowing::new("a", "b");
    gilkit::with_gil(|g| {
        assert_eq!(*a.fields_mut(g).0, 5);
        assert_eq!(*t.fields_mut(g).1, 2);
        assert_eq!(*b.fields_mut(g).0, "a");
    });
    assert_eq!(*l.balance().lock(), 7);
    assert_eq!((s.balance, s.thing.0), (1, 2));
}
