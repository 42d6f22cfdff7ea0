use gilkit::per_field_lock;
use std::rc::Rc;

// A field lock hands its value to whichever thread locks it, so the value must be `Send`; the
// biased handle of such an object cannot cross threads.
#[per_field_lock(rc = biased)]
struct Cache {
    entry: Rc<String>,
}

fn main() {
    let cache = Cache::new(Rc::new("x".into())).into_handle();
    std::thread::spawn(move || cache.entry().lock().len());
}
