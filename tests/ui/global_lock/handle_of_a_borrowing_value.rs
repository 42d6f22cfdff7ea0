// The pending pool: a `GilRc` dropped without the GIL is freed at the next acquisition, on
// whichever thread acquires. Its value must not borrow what may be gone by then.
struct Reader<'a>(&'a String);

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        println!("{}", self.0);
    }
}

fn main() {
    {
        let s = String::from("borrowed");
        drop(gilkit::GilRc::new(Reader(&s))); // no GIL here: the drop would be deferred
    } // `s` is freed here
    gilkit::with_gil(|_| {}); // the drain would run `Reader::drop` on freed memory
}
