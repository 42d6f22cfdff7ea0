// The owner's exit merge, through the attribute.
#[gilkit::atomic_rc(biased)]
struct Reader<'a> {
    text: &'a str,
}

fn main() {
    let s = String::from("borrowed");
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let rc = Reader { text: &s }.into_handle();
            std::mem::forget(rc.clone());
        });
    });
    drop(s);
}
