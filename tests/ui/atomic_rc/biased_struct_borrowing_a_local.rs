// The owner's inbox, through the attribute: `into_handle` of a biased struct needs `'static`.
#[gilkit::atomic_rc(biased)]
struct Reader<'a> {
    text: &'a str,
}

fn main() {
    let s = String::from("borrowed");
    let rc = Reader { text: &s }.into_handle();
    drop(rc);
}
