// `#[global_lock(debug)]`: the fields' values under the token, as `#[derive(Debug)]` would print
// them (a derive prints each `GilCell` as `GilCell { .. }`), for named and tuple structs,
// generics, `#[cfg]`-gated and unsized fields, domains, and a renamed method.
use gilkit::Domain;

#[gilkit::global_lock(debug)]
#[derive(Debug)]
pub struct Account {
    pub balance: i64,
    pub owner: String,
    #[cfg(any())]
    pub never: u8,
}

#[gilkit::global_lock(debug = show, domain = Physics)]
pub struct Pair<T>(pub u8, pub T);

gilkit::domain!(pub Physics);

#[gilkit::global_lock(debug)]
pub struct Buffer<T: ?Sized> {
    pub len: usize,
    pub data: T,
}

fn main() {
    let account = Account::new(70, "alice".into());
    gilkit::with_gil(|g| {
        assert_eq!(
            format!("{:?}", account.debug(g)),
            r#"Account { balance: 70, owner: "alice" }"#
        );
        assert_eq!(
            format!("{:#?}", account.debug(g)),
            "Account {\n    balance: 70,\n    owner: \"alice\",\n}"
        );
    });
    // The derive still compiles, and shows no value.
    assert!(format!("{account:?}").contains(".."));

    let pair = Pair::new(1, [2_u8]);
    Physics::with_gil(|g| assert_eq!(format!("{:?}", pair.show(g)), "Pair(1, [2])"));

    let buffer: Box<Buffer<[u8]>> = Box::new(Buffer::new(2, [3_u8, 4]));
    gilkit::with_gil(|g| {
        assert_eq!(format!("{:?}", buffer.debug(g)), "Buffer { len: 2, data: [3, 4] }");
    });
}
