// `fields = Name`: a twin struct of plain fields builds the struct by field name (`From`) and
// takes it apart again (`into_fields`), for named and tuple structs, generics with defaults and
// where clauses, and `#[cfg]`-gated fields.
#![deny(missing_docs)]
//! Twins.

use gilkit::{global_lock, Domain};

/// An account.
#[global_lock(fields = AccountFields)]
pub struct Account<T: Clone = u8>
where
    T: Send,
{
    /// The balance.
    pub balance: i64,
    /// The owner.
    pub owner: String,
    /// Present in every build.
    #[cfg(all())]
    pub tag: T,
    /// Present in none.
    #[cfg(any())]
    pub never: u8,
}

/// A pair.
#[global_lock(fields = PairFields, domain = Physics)]
pub struct Pair(pub u8, pub u16);

gilkit::domain!(
    /// The pair's domain.
    pub Physics
);

fn main() {
    // Many fields of one type, each named: no mix-up by position.
    let account: Account = AccountFields {
        owner: "alice".into(),
        balance: 100,
        tag: 7,
    }
    .into();
    gilkit::with_gil(|g| {
        assert_eq!(*account.balance.get(g), 100);
        assert_eq!(account.owner.get(g), "alice");
    });
    let AccountFields { balance, owner, tag } = account.into_fields();
    assert_eq!((balance, owner.as_str(), tag), (100, "alice", 7));

    let pair = Pair::from(PairFields(1, 2));
    Physics::with_gil(|g| assert_eq!(*pair.1.get(g), 2));
    let PairFields(a, b) = pair.into_fields();
    assert_eq!((a, b), (1, 2));
}
