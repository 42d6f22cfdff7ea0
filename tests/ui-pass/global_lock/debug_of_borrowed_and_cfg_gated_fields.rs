// `#[global_lock(debug)]` on a struct with lifetime parameters (the returned value borrows them:
// edition 2021 needs them named in its type), and with a `#[cfg]`-gated field whose type exists
// only under that `cfg` (the check of each field's `Debug` is gated with the field, not a bound
// on the method).
#[cfg(any())]
mod only_under_the_cfg {
    #[derive(Debug)]
    pub struct Audit;
}

#[gilkit::global_lock(debug)]
pub struct Label<'a, 'b: 'a, T> {
    pub name: &'a str,
    pub tags: &'b [T],
    #[cfg(any())]
    pub audit: only_under_the_cfg::Audit,
}

fn main() {
    let name = String::from("x");
    let tags = vec![1_u8, 2];
    let label = Label::new(&name, &tags);
    gilkit::with_gil(|g| {
        assert_eq!(format!("{:?}", label.debug(g)), r#"Label { name: "x", tags: [1, 2] }"#);
    });
}
