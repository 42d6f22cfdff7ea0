// `fields = Name`: a twin struct of plain fields builds the struct by field name (`From`) and
// takes it apart again (`into_fields`), whatever the fields' kinds: a mutex, `rw`, `no_lock`, or
// a kind chosen by `cfg_attr`, and `#[cfg]`-gated fields.
#![deny(missing_docs)]
//! Twins.

use gilkit::per_field_lock;

/// An account.
#[per_field_lock(fields = AccountFields)]
pub struct Account<T: Send = u8> {
    /// The balance.
    pub balance: i64,
    /// The history.
    #[field(rw)]
    pub history: Vec<i64>,
    /// The owner, never changed.
    #[field(no_lock)]
    pub owner: String,
    /// Read-write in every build.
    #[cfg_attr(all(), field(rw))]
    pub tag: T,
    /// Present in none.
    #[cfg(any())]
    pub never: u8,
}

fn main() {
    let account = Account::from(AccountFields {
        owner: "alice".into(),
        history: vec![1],
        balance: 100,
        tag: 7_u8,
    });
    assert_eq!(*account.balance().lock(), 100);
    account.history().write().push(2);
    assert_eq!(*account.tag().read(), 7);
    let AccountFields { balance, history, owner, tag } = account.into_fields();
    assert_eq!((balance, history, owner.as_str(), tag), (100, vec![1, 2], "alice", 7));
}
