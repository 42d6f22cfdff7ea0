// The pending pool, through the attribute: `into_handle` needs a `'static` object.
#[gilkit::global_lock]
struct Reader<'a> {
    text: &'a String,
}

fn main() {
    {
        let s = String::from("borrowed");
        drop(Reader::new(&s).into_handle()); // no GIL here: the drop would be deferred
    }
    gilkit::with_gil(|_| {});
}
